/**
 * The Task resources Inflow can run, as AWS spells them: the SQS and Lambda service integrations
 * (request-response or callback), Lambda function ARNs (optionally with a version or alias), and
 * nested executions (request-response, `.sync`, `.sync:2`). Anything else is rejected when the
 * definition is checked, with AWS's "not recognized" message, rather than failing at run time.
 */

export type IntegrationPattern = "requestResponse" | "waitForTaskToken" | "sync" | "sync:2";

const PATTERNS: ReadonlyArray<[RegExp, (match: RegExpExecArray) => IntegrationPattern]> = [
  [
    /^arn:aws:states:::(?:sqs:sendMessage|lambda:invoke)(\.waitForTaskToken)?$/,
    (m) => (m[1] ? "waitForTaskToken" : "requestResponse"),
  ],
  [
    /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?$/,
    () => "requestResponse",
  ],
  [
    /^arn:aws:states:::states:startExecution(?:\.(sync:2|sync))?$/,
    (m) => (m[1] as IntegrationPattern | undefined) ?? "requestResponse",
  ],
];

/** How a supported Task resource is called, or undefined when Inflow does not know the resource. */
export const taskResourcePattern = (resource: string): IntegrationPattern | undefined => {
  for (const [pattern, integration] of PATTERNS) {
    const match = pattern.exec(resource);
    if (match !== null) return integration(match);
  }
  return undefined;
};
