import { describe, expect, it } from "vitest";
import { type Diagnostic, definitionError, validateDefinition } from "../../src/states/definition/index.js";
import { taskResourcePattern } from "../../src/states/definition/resources.js";

const STANDARD = { type: "STANDARD" } as const;
const EXPRESS = { type: "EXPRESS" } as const;

const pass = { Type: "Pass", End: true };
const machine = (states: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  StartAt: Object.keys(states)[0],
  States: states,
  ...extra,
});
const validate = (definition: unknown, options: { type: "STANDARD" | "EXPRESS" } = STANDARD) =>
  validateDefinition(definition, options);
/** `CODE: message at location`, to compare findings in one line each. */
const lines = (diagnostics: Diagnostic[]) =>
  diagnostics.map(
    (d) => `${d.severity} ${d.code}: ${d.message}${d.location === undefined ? "" : ` at ${d.location}`}`,
  );
const findings = (definition: unknown, options?: { type: "STANDARD" | "EXPRESS" }) =>
  lines(validate(definition, options));

describe("reading the definition", () => {
  it("accepts JSON text and parsed objects alike", () => {
    expect(validate(JSON.stringify(machine({ A: pass })))).toEqual([]);
    expect(validate(machine({ A: pass }))).toEqual([]);
  });

  it("reports text that is not JSON as AWS's Jackson error", () => {
    // Recorded from AWS (LocalStack test_sfn_api_validation, NOT_A_DEF).
    const location = '[Source: (String)"not a definition"; line: 1, column: 4]';
    expect(validate("not a definition")).toEqual([
      {
        severity: "ERROR",
        code: "INVALID_JSON_DESCRIPTION",
        location,
        message: `Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at ${location}`,
      },
    ]);
  });

  it("locates other syntax errors by line and column", () => {
    expect(validate('{\n  "StartAt": "A",\n  "States": {]\n}')[0]).toMatchObject({
      code: "INVALID_JSON_DESCRIPTION",
      message: expect.stringMatching(/^Unexpected character \(']' \(code 93\)\): was expecting double-quote/),
      location: expect.stringMatching(/line: 3, column: 15\]$/),
    });
    expect(validate('{"StartAt": "A"')[0]?.message).toMatch(
      /^Unexpected end-of-input: expected close marker for Object/,
    );
    expect(validate('{"a": "b\\q"}')[0]?.message).toMatch(/^Unrecognized character escape 'q'/);
  });

  it("wants a JSON object", () => {
    // Recorded from AWS (EMPTY_STRING): no location.
    expect(validate("")).toEqual([
      {
        severity: "ERROR",
        code: "SCHEMA_VALIDATION_FAILED",
        message: "Definition must be a valid JSON object",
      },
    ]);
    expect(findings("[1]")).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object",
    ]);
  });
});

describe("the machine", () => {
  it("requires States and StartAt (aws-protocols §4 items 36 and 40)", () => {
    expect(validate({})).toEqual([
      {
        severity: "ERROR",
        code: "SCHEMA_VALIDATION_FAILED",
        location: "/",
        message: "These fields are required: [States, StartAt]",
      },
    ]);
    expect(definitionError(validate({ Comment: "x", StartAt: "A" })).message).toBe(
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'",
    );
  });

  it("checks top-level fields", () => {
    expect(
      findings(
        machine({ A: pass }, { Version: "2.0", QueryLanguage: "JSONPATH", TimeoutSeconds: 0, Extra: 1 }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: Value should be one of the following: [JSONPath, JSONata] at /QueryLanguage",
      "ERROR SCHEMA_VALIDATION_FAILED: Value should be one of the following: [1.0] at /Version",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'TimeoutSeconds' must be a positive integer at /",
      "ERROR SCHEMA_VALIDATION_FAILED: Field 'Extra' is not supported at /",
    ]);
  });

  it("finds missing transition targets and unreachable states", () => {
    // Without a start there is nothing to judge reachability from.
    expect(
      findings({ StartAt: "Nope", States: { A: { Type: "Pass", Next: "B" }, B: pass, C: pass } }),
    ).toEqual(["ERROR MISSING_TRANSITION_TARGET: Missing 'StartAt' target: Nope at /StartAt"]);
    expect(
      findings(machine({ A: { Type: "Pass", Next: "Missing" }, B: { Type: "Pass", Next: "B" } })),
    ).toEqual([
      "ERROR MISSING_TRANSITION_TARGET: Missing 'Next' target: Missing at /States/A/Next",
      'ERROR MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
    ]);
  });

  it("follows Choice rules, Default and Catch when judging reachability", () => {
    const definition = machine({
      C: { Type: "Choice", Choices: [{ Variable: "$.x", IsPresent: true, Next: "T" }], Default: "D" },
      T: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Catch: [{ ErrorEquals: ["States.ALL"], Next: "H" }],
        End: true,
      },
      D: { Type: "Succeed" },
      H: { Type: "Fail" },
    });
    expect(validate(definition)).toEqual([]);
  });

  it("wants state names unique across nested machines and at most 80 characters", () => {
    const inner = { StartAt: "A", States: { A: pass } };
    const long = "x".repeat(81);
    expect(
      findings(machine({ A: { Type: "Parallel", Branches: [inner], Next: long }, [long]: pass })),
    ).toEqual([
      "ERROR DUPLICATE_STATE_NAME: Duplicate State name: A at /States/A/Branches[0]/States/A",
      `ERROR INVALID_STATE_NAME: State name '${long}' exceeds the 80-character limit allowed by the service at /States/${long}`,
    ]);
  });
});

describe("states", () => {
  it("wants a known Type", () => {
    expect(findings(machine({ A: { End: true }, B: { Type: "Nope", End: true } }))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [Type] at /States/A",
      "ERROR SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/B/Type",
      'ERROR MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
    ]);
  });

  it("rejects fields the type does not have", () => {
    expect(findings(machine({ A: { Type: "Succeed", Next: "B", Result: 1 }, B: pass }))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/A",
      "ERROR SCHEMA_VALIDATION_FAILED: Field 'Result' is not supported at /States/A",
      'ERROR MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
    ]);
  });

  it("wants exactly one of Next and End where the state moves on", () => {
    expect(
      findings(machine({ A: { Type: "Pass" }, B: { Type: "Wait", Seconds: 1, Next: "A", End: true } })),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: This object should have only one of the following fields: [Next, End] at /States/A",
      "ERROR SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [Next, End] at /States/B",
      'ERROR MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
    ]);
  });

  it("keeps query languages apart", () => {
    expect(
      findings(
        machine(
          { A: { Type: "Pass", QueryLanguage: "JSONPath", Output: 1, End: true } },
          { QueryLanguage: "JSONata" },
        ),
      ),
    ).toEqual([
      // AWS's message (recorded: INVALID_DOWNGRADE_QUERY_LANGUAGE).
      "ERROR SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/A",
      "ERROR SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/A",
    ]);
    expect(
      findings(machine({ A: { Type: "Pass", QueryLanguage: "JSONata", InputPath: "$", End: true } })),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage at /States/A",
    ]);
    expect(
      validate(
        machine({ A: { Type: "Pass", QueryLanguage: "JSONata", Output: "{% $states.input %}", End: true } }),
      ),
    ).toEqual([]);
  });

  it("checks paths and payload templates in JSONPath states", () => {
    expect(
      findings(
        machine({
          A: {
            Type: "Pass",
            InputPath: "a.b",
            ResultPath: null,
            Parameters: {
              "ok.$": "$.x",
              nested: { "bad.$": "States.Nope()" },
              list: [{ "call.$": "States.UUID()" }],
            },
            End: true,
          },
        }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid JSONPath at /States/A",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'bad.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters/nested",
    ]);
  });

  it("checks JSONata strings and Assign names", () => {
    expect(
      findings(
        machine(
          {
            A: {
              Type: "Pass",
              Output: { a: "{% $states.input", b: "{% 1 + %}", c: " {% not an expression %} " },
              Assign: { good: "{% 1 %}", "1bad": 1, states: 2 },
              End: true,
            },
          },
          { QueryLanguage: "JSONata" },
        ),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: JSONata string must start with {% and end with %} at /States/A/Output/a",
      "ERROR SCHEMA_VALIDATION_FAILED: The JSONata expression '1 +' is not valid: S0207: Unexpected end of expression at /States/A/Output/b",
      "ERROR SCHEMA_VALIDATION_FAILED: '1bad' is not a valid variable name at /States/A/Assign",
      "ERROR SCHEMA_VALIDATION_FAILED: 'states' is not a valid variable name at /States/A/Assign",
    ]);
  });

  it("wants an RFC 3339 Wait timestamp, and exactly one duration", () => {
    const wait = (fields: Record<string, unknown>) => machine({ W: { Type: "Wait", End: true, ...fields } });
    expect(validate(wait({ Timestamp: "2016-03-14T01:59:00Z" }))).toEqual([]);
    expect(validate(wait({ Timestamp: "2016-03-14T01:59:00.123+02:00" }))).toEqual([]);
    expect(validate(wait({ Timestamp: "2016-02-29T01:59:00Z" }))).toEqual([]);
    for (const bad of ["2015-02-29T01:59:00Z", "2016-03-14t01:59:00Z", "2016-03-14T24:00:00Z", 1]) {
      expect(findings(wait({ Timestamp: bad }))).toEqual([
        "ERROR SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/W/Timestamp",
      ]);
    }
    expect(findings(wait({}))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: This object should have only one of the following fields: [SecondsPath, Seconds, TimestampPath, Timestamp] at /States/W",
    ]);
    expect(findings(wait({ Seconds: -1, SecondsPath: "$.s" }))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [SecondsPath, Seconds, TimestampPath, Timestamp] at /States/W",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'Seconds' must be a non-negative integer at /States/W",
    ]);
  });

  it("checks Fail's error and cause", () => {
    expect(
      findings(
        machine({ F: { Type: "Fail", Error: "E", ErrorPath: "$.e", CausePath: "States.Format('{}', $.c)" } }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [Error, ErrorPath] at /States/F",
    ]);
  });
});

describe("Choice rules", () => {
  const choice = (choices: unknown[], language?: "JSONata") =>
    machine(
      { C: { Type: "Choice", Choices: choices, Default: "D" }, D: pass, N: pass },
      language ? { QueryLanguage: language } : {},
    );

  it("accepts nested boolean expressions", () => {
    const rule = {
      And: [{ Variable: "$.a", NumericGreaterThan: 1 }, { Not: { Variable: "$.b", StringMatches: "x*" } }],
      Next: "N",
    };
    expect(validate(choice([rule]))).toEqual([]);
  });

  it("wants one expression, one comparison, Next only at the top, typed operands", () => {
    expect(
      findings(
        choice([
          { Variable: "$.a", NumericEquals: "1", Next: "N" },
          { Variable: "$.a", StringEquals: "x", BooleanEquals: true, Next: "N" },
          { Or: [{ Variable: "$.a", IsNull: true, Next: "N" }], Next: "N" },
          { Variable: "$.a", TimestampEquals: "yesterday", Next: "N" },
          { Variable: "$.a", IsPresent: true },
        ]),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'NumericEquals' must be a number at /States/C/Choices[0]",
      expect.stringMatching(
        /^ERROR SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: \[StringEquals, /,
      ),
      "ERROR SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported at /States/C/Choices[2]/Or[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at /States/C/Choices[3]/TimestampEquals",
      "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [Next] at /States/C/Choices[4]",
    ]);
  });

  it("takes Condition in JSONata and Variable in JSONPath", () => {
    expect(
      validate(choice([{ Condition: "{% $states.input.x %}", Next: "N", Output: 1 }], "JSONata")),
    ).toEqual([]);
    expect(validate(choice([{ Condition: true, Next: "N" }], "JSONata"))).toEqual([]);
    expect(findings(choice([{ Variable: "$.x", IsNull: true, Next: "N" }], "JSONata"))).toContain(
      "ERROR SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for the 'JSONPath' QueryLanguage at /States/C/Choices[0]",
    );
    expect(findings(choice([{ Condition: "{% true %}", Next: "N" }]))).toContain(
      "ERROR SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported for the 'JSONata' QueryLanguage at /States/C/Choices[0]",
    );
    expect(findings(choice([{ Condition: "$.x", Next: "N" }], "JSONata"))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'Condition' must be a boolean or a JSONata expression at /States/C/Choices[0]",
    ]);
  });

  it("wants Choices", () => {
    expect(findings(machine({ C: { Type: "Choice", Choices: [] } }))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'Choices' must be a non-empty array of rules at /States/C",
    ]);
  });
});

describe("Retry and Catch", () => {
  const task = (fields: Record<string, unknown>) =>
    machine({
      T: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", End: true, ...fields },
      H: pass,
    });

  it("wants error names, States.ALL alone and last, and sane numbers", () => {
    expect(
      findings(
        task({
          Retry: [
            { ErrorEquals: ["States.ALL", "X"], MaxAttempts: -1, BackoffRate: 0.5 },
            { ErrorEquals: [], IntervalSeconds: 0, JitterStrategy: "SOME" },
          ],
          Catch: [
            { ErrorEquals: ["States.ALL"], Next: "H" },
            { Next: "H", Extra: 1 },
          ],
        }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: States.ALL must appear alone in the ErrorEquals array at /States/T/Retry[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: States.ALL must appear in the last Retrier or Catcher at /States/T/Retry[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'MaxAttempts' must be a non-negative integer at /States/T/Retry[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'BackoffRate' must be a number greater than or equal to 1.0 at /States/T/Retry[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'ErrorEquals' must be a non-empty array of error names at /States/T/Retry[1]",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'IntervalSeconds' must be a positive integer at /States/T/Retry[1]",
      "ERROR SCHEMA_VALIDATION_FAILED: Value should be one of the following: [FULL, NONE] at /States/T/Retry[1]/JitterStrategy",
      "ERROR SCHEMA_VALIDATION_FAILED: States.ALL must appear in the last Retrier or Catcher at /States/T/Catch[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: Field 'Extra' is not supported at /States/T/Catch[1]",
      "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [ErrorEquals] at /States/T/Catch[1]",
    ]);
  });

  it("checks Catch targets and query-language fields", () => {
    expect(findings(task({ Catch: [{ ErrorEquals: ["E"], Next: "Nowhere", Output: 1 }] }))).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/T/Catch[0]",
      "ERROR MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/T/Catch[0]/Next",
      'ERROR MISSING_TRANSITION_TARGET: State "H" is not reachable. at /States/H',
    ]);
  });
});

describe("Task resources", () => {
  it("knows the resources Inflow runs", () => {
    expect(taskResourcePattern("arn:aws:states:::sqs:sendMessage")).toBe("requestResponse");
    expect(taskResourcePattern("arn:aws:states:::sqs:sendMessage.waitForTaskToken")).toBe("waitForTaskToken");
    expect(taskResourcePattern("arn:aws:states:::lambda:invoke.waitForTaskToken")).toBe("waitForTaskToken");
    expect(taskResourcePattern("arn:aws:lambda:us-east-1:000000000000:function:parse-file")).toBe(
      "requestResponse",
    );
    expect(taskResourcePattern("arn:aws:lambda:us-east-1:000000000000:function:parse-file:live")).toBe(
      "requestResponse",
    );
    expect(taskResourcePattern("arn:aws:states:::states:startExecution.sync:2")).toBe("sync:2");
    expect(taskResourcePattern("arn:aws:states:::states:startExecution.sync")).toBe("sync");
    expect(taskResourcePattern("arn:aws:states:::lambda:invoke.sync")).toBeUndefined();
    expect(taskResourcePattern("arn:aws:states:::dynamodb:putItem")).toBeUndefined();
  });

  it("rejects other resources with AWS's messages", () => {
    expect(
      findings(
        machine({
          A: { Type: "Task", Resource: "parse-file", Next: "B" },
          B: { Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem", Next: "C" },
          C: { Type: "Task", End: true },
        }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource",
      "ERROR SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:putItem is not recognized. The value is not a valid resource ARN, or the resource is not available in this region. at /States/B/Resource",
      "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [Resource] at /States/C",
    ]);
  });

  it("keeps Express machines from waiting, nested ones included", () => {
    const waitForToken = {
      Type: "Task",
      Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      End: true,
    };
    // Recorded from AWS (ILLEGAL_WFTT): note the trailing space.
    expect(validate(machine({ SendMessageWithWait: waitForToken }), EXPRESS)).toEqual([
      {
        severity: "ERROR",
        code: "SCHEMA_VALIDATION_FAILED",
        location: "/States/SendMessageWithWait/Resource",
        message: "Express state machine does not support '.waitForTaskToken' service integration ",
      },
    ]);
    const nested = machine({
      M: {
        Type: "Map",
        ItemProcessor: {
          StartAt: "Run",
          States: { Run: { ...waitForToken, Resource: "arn:aws:states:::states:startExecution.sync:2" } },
        },
        End: true,
      },
    });
    expect(findings(nested, EXPRESS)).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync:2' service integration  at /States/M/ItemProcessor/States/Run/Resource",
    ]);
    expect(validate(nested, STANDARD)).toEqual([]);
  });
});

describe("nested machines", () => {
  it("locates findings inside Map processors and Parallel branches", () => {
    expect(
      findings(
        machine({
          MyMap: {
            Type: "Map",
            ItemProcessor: {
              ProcessorConfig: { Mode: "DISTRIBUTED" },
              StartAt: "Inner",
              States: { Inner: { Type: "Pass", Next: "Outer" } },
            },
            Next: "P",
          },
          P: {
            Type: "Parallel",
            Branches: [{ StartAt: "B", States: { B: { Type: "Pass" } }, QueryLanguage: "JSONata" }],
            End: true,
          },
          Outer: pass,
        }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [ExecutionType] at /States/MyMap/ItemProcessor/ProcessorConfig",
      "ERROR MISSING_TRANSITION_TARGET: Missing 'Next' target: Outer at /States/MyMap/ItemProcessor/States/Inner/Next",
      "ERROR SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/P/Branches[0]",
      "ERROR SCHEMA_VALIDATION_FAILED: This object should have only one of the following fields: [Next, End] at /States/P/Branches[0]/States/B",
      'ERROR MISSING_TRANSITION_TARGET: State "Outer" is not reachable. at /States/Outer',
    ]);
  });

  it("wants one processor and sane Map settings", () => {
    expect(
      findings(
        machine({
          M: {
            Type: "Map",
            MaxConcurrency: -1,
            ToleratedFailurePercentage: 101,
            Label: "x".repeat(41),
            End: true,
          },
        }),
      ),
    ).toEqual([
      "ERROR SCHEMA_VALIDATION_FAILED: This object should have only one of the following fields: [ItemProcessor, Iterator] at /States/M",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'MaxConcurrency' must be a non-negative integer at /States/M",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100 at /States/M",
      "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'Label' must be a string of at most 40 characters at /States/M",
    ]);
  });
});

describe("paths and intrinsic calls in templates", () => {
  const template = (value: string) =>
    machine({ A: { Type: "Pass", Parameters: { "v.$": value }, End: true } });

  it("accepts well-formed ones", () => {
    for (const value of [
      "$",
      "$$.Execution.Name",
      "$variable.list[0]",
      "$.items[1:5].value",
      "States.UUID()",
      "States.Format('Hello {}, {}!', $.name, $$.Execution.Name)",
      "States.MathAdd(States.MathAdd($.a, -1), 2)",
      "States.JsonMerge($.a, $.b, false)",
      "States.Format('it\\'s \\{\\} \\\\ {}', $['a,b'])",
      "States.StringSplit('Hello\nWorld', '\n')",
    ]) {
      expect(validate(template(value)), value).toEqual([]);
    }
  });

  it("rejects malformed ones", () => {
    for (const value of [
      "States.Nope()",
      "States.UUID(1)",
      "States.Format('x'",
      "States.Format('x') trailing",
      `States.StringToJson('{"text":"An \\"escaped\\" quote"}')`,
      "States.Format(x)",
      "a.b",
      "$.a[",
      "$.a.",
    ]) {
      expect(findings(template(value)), value).toEqual([
        "ERROR SCHEMA_VALIDATION_FAILED: The value for the field 'v.$' must be a valid JSONPath or a valid intrinsic function call at /States/A/Parameters",
      ]);
    }
  });
});

describe("definitionError", () => {
  it("joins several findings in AWS's format", () => {
    const diagnostics = validate(machine({ A: { Type: "Pass", Next: "X" }, B: pass }));
    expect(definitionError(diagnostics)).toEqual({
      name: "InvalidDefinition",
      message:
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next, " +
        'MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B\'',
    });
  });

  it("leaves out the location of a JSON syntax error, which its message already has", () => {
    expect(definitionError(validate("{")).message).toBe(
      "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: Unexpected end-of-input: expected close marker for Object\n at [Source: (String)\"{\"; line: 1, column: 2]'",
    );
  });
});
