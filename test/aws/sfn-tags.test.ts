import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  ListTagsForResourceCommand,
  ResourceNotFound,
  type Tag,
  TagResourceCommand,
  TooManyTags,
  UntagResourceCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS } from "../support/backends.js";
import { PASS_MACHINE, ROLE_ARN, type SfnServer, startSfnServer } from "./sfn-support.js";
import { rejectionOf } from "./support.js";

const ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";

/** `count` tags named `prefix0`, `prefix1`, ... */
const manyTags = (count: number, prefix = "k"): Tag[] =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i}`, value: `v${i}` }));

describe.each(BACKENDS)("Step Functions tags on %s", (dialect) => {
  let server: SfnServer;

  beforeAll(async () => {
    server = await startSfnServer(dialect);
  });
  afterAll(async () => {
    expect(server?.loggedErrors).toEqual([]);
    await server?.close();
  });

  const create = async (name: string, tags?: Tag[]) =>
    (
      await server.client.send(
        new CreateStateMachineCommand({ name, definition: PASS_MACHINE, roleArn: ROLE_ARN, tags }),
      )
    ).stateMachineArn!;
  const tagsOf = async (resourceArn: string) =>
    (await server.client.send(new ListTagsForResourceCommand({ resourceArn }))).tags;
  const tag = (resourceArn: string, tags: Tag[]) =>
    server.client.send(new TagResourceCommand({ resourceArn, tags }));
  const untag = (resourceArn: string, tagKeys: string[]) =>
    server.client.send(new UntagResourceCommand({ resourceArn, tagKeys }));

  it("keeps the tags given to CreateStateMachine; a machine created without any lists none", async () => {
    const tagged = await create("created-tagged", [
      { key: "team", value: "ap" },
      { key: "empty", value: "" },
    ]);
    expect(await tagsOf(tagged)).toEqual([
      { key: "team", value: "ap" },
      { key: "empty", value: "" },
    ]);
    expect(await tagsOf(await create("created-bare"))).toEqual([]);
  });

  it("adds tags, replaces the value of a key tagged again, and removes keys (missing keys are fine)", async () => {
    const arn = await create("tag-untag", [{ key: "env", value: "dev" }]);
    await tag(arn, [
      { key: "env", value: "prod" },
      { key: "owner", value: "invoices" },
      { key: "cost-center", value: "42" },
    ]);
    expect(await tagsOf(arn)).toEqual([
      { key: "env", value: "prod" },
      { key: "owner", value: "invoices" },
      { key: "cost-center", value: "42" },
    ]);
    await untag(arn, ["owner", "never-there"]);
    expect(await tagsOf(arn)).toEqual([
      { key: "env", value: "prod" },
      { key: "cost-center", value: "42" },
    ]);
    await untag(arn, ["env", "cost-center"]);
    expect(await tagsOf(arn)).toEqual([]);
  });

  it("refuses more than 50 tags with TooManyTags naming the resource, on create and on tag", async () => {
    const tooManyOnCreate = await rejectionOf(create("too-many", manyTags(51)));
    expect(tooManyOnCreate).toBeInstanceOf(TooManyTags);
    expect(tooManyOnCreate.resourceName).toBe(`${ARN_PREFIX}too-many`);
    expect(tooManyOnCreate.message).toContain("at most 50");

    const arn = await create("fifty", manyTags(50));
    expect(await tagsOf(arn)).toHaveLength(50);
    // Replacing values of keys it has keeps the count at 50: allowed.
    await tag(
      arn,
      manyTags(50).map(({ key }) => ({ key, value: "again" })),
    );
    const oneMore = await rejectionOf(tag(arn, [{ key: "fifty-first", value: "x" }]));
    expect(oneMore).toBeInstanceOf(TooManyTags);
    expect(oneMore.resourceName).toBe(arn);
    expect(await tagsOf(arn)).toHaveLength(50);
    expect((await tagsOf(arn))?.every((t) => t.value === "again")).toBe(true);
  });

  it("answers ResourceNotFound for ARNs that name no state machine: unknown, deleted, a version, an activity", async () => {
    const deleted = await create("deleted");
    await server.client.send(new DeleteStateMachineCommand({ stateMachineArn: deleted }));
    const live = await create("live");
    for (const arn of [
      `${ARN_PREFIX}nothing-here`,
      deleted,
      `${live}:1`,
      "arn:aws:states:us-east-1:000000000000:activity:some-activity",
    ]) {
      for (const call of [
        () => tagsOf(arn),
        () => tag(arn, [{ key: "a", value: "b" }]),
        () => untag(arn, ["a"]),
      ]) {
        const error = await rejectionOf(call());
        expect(error).toBeInstanceOf(ResourceNotFound);
        expect(error.message).toBe(`Resource not found: '${arn}'`);
        expect(error.resourceName).toBe(arn);
      }
    }
  });

  it("answers InvalidArn for what is not a state machine ARN", async () => {
    const notAnArn = await rejectionOf(tagsOf("not-an-arn"));
    expect(notAnArn.name).toBe("InvalidArn");
    expect(notAnArn.message).toBe("Invalid Arn: 'Invalid ARN prefix: not-an-arn'");
    const execution = await rejectionOf(
      tag("arn:aws:states:us-east-1:000000000000:execution:m:e", [{ key: "a", value: "b" }]),
    );
    expect(execution.name).toBe("InvalidArn");
    expect(execution.message).toBe("Invalid Arn: 'Resource type not valid in this context: execution'");
  });

  it("checks tag keys and values against the model's lengths, reporting every violation", async () => {
    const arn = await create("lengths");
    const tooLong = await rejectionOf(
      tag(arn, [
        { key: "", value: "v" },
        { key: "k".repeat(129), value: "v" },
        { key: "ok", value: "v".repeat(257) },
      ]),
    );
    expect(tooLong.name).toBe("ValidationException");
    expect(tooLong.message).toMatch(/^3 validation errors detected: /);
    expect(tooLong.message).toContain(
      "at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(tooLong.message).toContain("at 'tags.3.member.value'");
    const badKeys = await rejectionOf(untag(arn, ["fine", ""]));
    expect(badKeys.name).toBe("ValidationException");
    expect(badKeys.message).toBe(
      "1 validation error detected: Value '[fine, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
    );
    // The longest key and value are accepted.
    await tag(arn, [{ key: "k".repeat(128), value: "v".repeat(256) }]);
    expect(await tagsOf(arn)).toEqual([{ key: "k".repeat(128), value: "v".repeat(256) }]);
  });

  it("applies concurrent TagResource calls on one machine without losing any", async () => {
    const arn = await create("concurrent");
    await Promise.all(Array.from({ length: 10 }, (_, i) => tag(arn, [{ key: `c${i}`, value: `${i}` }])));
    expect((await tagsOf(arn))?.map((t) => t.key).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `c${i}`).sort(),
    );
  });
});
