import { describe, expect, it } from "vitest";
import { md5Hex, md5OfMessageAttributes } from "../../src/queues/md5.js";

// Values recorded against AWS, as given in ../shared/reference/aws-protocols.md §1.3 and §4 item 3.
describe("SQS MD5s", () => {
  it("hashes the body as UTF-8", () => {
    expect(md5Hex("message")).toBe("78e731027d8fd50ed642340b7c9a63b3");
  });

  it("hashes message attributes the way SQS does", () => {
    expect(md5OfMessageAttributes({ MyAttribute: { DataType: "String", StringValue: "foobar" } })).toBe(
      "adb59cd4678ea5a855436b949cd07ab6",
    );
    expect(md5OfMessageAttributes({ Foo: { DataType: "String", StringValue: "Bar" } })).toBe(
      "ae7155c6026991b6d54b11589678bf9c",
    );
  });

  it("does not depend on the order attributes were given in", () => {
    const a = md5OfMessageAttributes({
      b: { DataType: "Number", StringValue: "1" },
      a: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]).toString("base64") },
    });
    const b = md5OfMessageAttributes({
      a: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]).toString("base64") },
      b: { DataType: "Number", StringValue: "1" },
    });
    expect(a).toBe(b);
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
