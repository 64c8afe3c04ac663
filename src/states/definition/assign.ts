import { type Diagnostic, schemaError } from "./diagnostics.js";
import { checkJsonataValue, checkPayloadTemplate } from "./expressions.js";
import type { QueryLanguage } from "./fields.js";
import { isPlainObject } from "./parse.js";
import { mustBe } from "./values.js";

/**
 * An `Assign` block (on a state, a Choice rule or a Catcher). Variable names follow AWS: a Unicode
 * identifier (ID_Start then ID_Continue), at most 80 characters, and not the reserved `states`. In
 * JSONPath the names may end in `.$` and the block is a payload template; in JSONata every value may
 * hold `{% %}` expressions.
 */

const VARIABLE_NAME = /^\p{ID_Start}\p{ID_Continue}*$/u;
const MAX_VARIABLE_NAME_LENGTH = 80;

export const checkAssign = (
  assign: unknown,
  language: QueryLanguage,
  location: string,
  out: Diagnostic[],
): void => {
  if (!isPlainObject(assign)) {
    out.push(mustBe("Assign", "a JSON object", location));
    return;
  }
  const at = `${location}/Assign`;
  for (const [key, value] of Object.entries(assign)) {
    const name = language === "JSONPath" && key.endsWith(".$") ? key.slice(0, -2) : key;
    if (!VARIABLE_NAME.test(name) || name.length > MAX_VARIABLE_NAME_LENGTH || name === "states") {
      out.push(schemaError(`'${name}' is not a valid variable name`, at));
    }
    if (language === "JSONata") checkJsonataValue(value, `${at}/${key}`, out);
  }
  if (language === "JSONPath") checkPayloadTemplate(assign, at, out);
};
