import { checkArn, type ResourceType } from "../arns.js";
import { decode, requiredString, requiredStringList, requiredTagList } from "../input.js";
import type { SfnOperation } from "./call.js";

const resourceArn = () => requiredString({ min: 1, max: 256 });
/**
 * Step Functions tags state machines and activities. Inflow has no activities, so an activity
 * ARN is well formed but names nothing (ResourceNotFound), while an execution ARN is InvalidArn.
 */
const TAGGABLE: readonly ResourceType[] = ["stateMachine", "activity"];

/** Tags of state machines: cost allocation and access control labels, kept and listed as given. */
export const tagOperations: Record<string, SfnOperation> = {
  async TagResource({ states, input }) {
    const request = decode(input, { resourceArn: resourceArn(), tags: requiredTagList() });
    await states.machines.tag(checkArn(request.resourceArn, TAGGABLE), request.tags);
    return {};
  },

  async UntagResource({ states, input }) {
    const request = decode(input, {
      resourceArn: resourceArn(),
      tagKeys: requiredStringList({ min: 1, max: 128 }),
    });
    await states.machines.untag(checkArn(request.resourceArn, TAGGABLE), request.tagKeys);
    return {};
  },

  async ListTagsForResource({ states, input }) {
    const request = decode(input, { resourceArn: resourceArn() });
    const tags = await states.machines.tagsOf(checkArn(request.resourceArn, TAGGABLE));
    return { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) };
  },
};
