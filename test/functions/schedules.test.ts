import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctions } from "../../src/functions/registry.js";
import { createSchedules, type Schedules } from "../../src/functions/schedules.js";
import { createQueues } from "../../src/queues/service.js";
import type { Queues } from "../../src/queues/types.js";
import { createStates, type States } from "../../src/states/engine.js";
import type { Store } from "../../src/store/types.js";
import { BACKENDS, createTestDatabase } from "../support/backends.js";

const START = Date.parse("2026-03-01T00:00:30Z");
const MINUTE = 60_000;

describe.each(BACKENDS)("schedules on %s", (dialect) => {
  const database = createTestDatabase(dialect);
  let store: Store;
  let queues: Queues;
  let states: States;
  let schedules: Schedules;
  let clock = START;
  const calls: Array<{ at: string; arn: string }> = [];
  const functions = createFunctions();
  functions.register("tick", async (event: { at: string; arn: string }) => {
    calls.push(event);
  });

  beforeAll(async () => {
    store = await database.open();
    queues = createQueues(store);
    states = createStates(store, queues, { now: () => clock });
    schedules = createSchedules(store, { functions, states, now: () => clock });
    await states.machines.create({
      name: "nightly",
      definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } }),
    });
  });

  afterAll(async () => {
    await schedules.close();
    await queues.close();
    await store.close();
    await database.drop();
  });

  it("fires once per period, and once for all the periods missed while nobody ran", async () => {
    clock = START;
    calls.length = 0;
    const input = JSON.stringify({
      at: "<aws.scheduler.scheduled-time>",
      arn: "<aws.scheduler.schedule-arn>",
    });
    const created = await schedules.create({
      name: "every-5",
      expression: "rate(5 minutes)",
      target: { kind: "function", name: "tick" },
      input,
    });
    expect(created.nextFireAt).toBe(START + 5 * MINUTE);
    expect(await schedules.fireDue()).toBe(0);

    clock = START + 5 * MINUTE;
    expect(await schedules.fireDue()).toBe(1);
    expect(await schedules.fireDue()).toBe(0);
    expect(calls).toEqual([
      {
        at: "2026-03-01T00:05:30Z",
        arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/default/every-5",
      },
    ]);

    // Down for half an hour: five periods missed, one firing, for the first missed period.
    clock = START + 37 * MINUTE;
    expect(await schedules.fireDue()).toBe(1);
    expect(await schedules.fireDue()).toBe(0);
    expect(calls.map((call) => call.at)).toEqual(["2026-03-01T00:05:30Z", "2026-03-01T00:10:30Z"]);
    expect((await schedules.get("every-5")).nextFireAt).toBe(START + 40 * MINUTE);

    // From an operator's process, whose registry lacks the function.
    const elsewhere = createSchedules(store, { functions: createFunctions(), states, now: () => clock });
    await elsewhere.update({
      name: "every-5",
      expression: "rate(5 minutes)",
      target: { kind: "function", name: "tick" },
      input,
      enabled: false,
    });
    clock = START + 60 * MINUTE;
    expect(await schedules.fireDue()).toBe(0);
    expect((await schedules.get("every-5")).state).toBe("DISABLED");
  });

  it("starts a state machine execution named after its period, once even when a firing is taken over", async () => {
    clock = Date.parse("2026-03-01T12:00:00Z");
    await schedules.create({
      name: "morning",
      expression: "cron(0 6 * * ? *)",
      timezone: "Europe/Berlin",
      target: { kind: "state-machine", name: "nightly" },
      input: JSON.stringify({ day: "<aws.scheduler.scheduled-time>" }),
    });
    // 6:00 in Berlin is 5:00 UTC in winter.
    expect((await schedules.get("morning")).nextFireAt).toBe(Date.parse("2026-03-02T05:00:00Z"));
    clock = Date.parse("2026-03-02T05:00:01Z");
    expect(await schedules.fireDue()).toBe(1);
    const machineArn = states.machines.arnOf("nightly");
    const started = await states.executions.list({ stateMachineArn: machineArn, limit: 10 });
    expect(started.map((execution) => execution.name)).toEqual(["morning-20260302T050000Z"]);

    // A worker that died mid-firing: another takes the period over once its lease passes.
    await store.run("UPDATE schedules SET firing_at = $1, firing_until = $2 WHERE name = 'morning'", [
      Date.parse("2026-03-02T05:00:00Z"),
      clock,
    ]);
    expect(await schedules.fireDue()).toBe(1);
    expect(await states.executions.list({ stateMachineArn: machineArn, limit: 10 })).toHaveLength(1);
  });

  it("refuses a schedule naming what does not exist", async () => {
    const base = { name: "bad", expression: "rate(1 minute)" };
    await expect(
      schedules.create({ ...base, target: { kind: "function", name: "nobody" } }),
    ).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(
      schedules.create({ ...base, target: { kind: "state-machine", name: "nothing" } }),
    ).rejects.toMatchObject({ name: "StateMachineDoesNotExist" });
    await expect(
      schedules.create({ ...base, target: { kind: "function", name: "tick" }, input: "{" }),
    ).rejects.toThrow(/input of schedule 'bad' is not JSON/);
  });
});
