import type { Store } from "../store/types.js";

/** One long poll in progress: asleep (waiting for a wake-up) or awake (querying). */
export interface LongPoll {
  /** Set by a signal that came while it was awake: it queries again before it sleeps. */
  woken: boolean;
  /** Waits until woken or `millis` pass. */
  sleep(millis: number): Promise<void>;
  /** Wakes the next sleeper of its queue: this one took a full batch, so more may be waiting. */
  passOn(): void;
  /** Wakes it now (an abort), whatever it is doing. */
  interrupt(): void;
  end(): void;
}

interface Channel {
  /** Every long poll of the queue in this process, sleepers among them in the order they fell asleep. */
  polls: Set<PollState>;
  sleepers: PollState[];
  stopListening: () => void;
}

interface PollState {
  woken: boolean;
  wake?: () => void;
}

/**
 * The long polls of one process, by queue channel. A queue's signal (a send, a message made
 * visible) wakes one sleeping long poll, not all of them: each woken poll queries for messages,
 * and with many pollers on one queue (a function's pollers, a worker's step loops) all but one
 * found nothing, costing two queries each (hundreds of thousands in a day's run). A poll that was
 * awake when the signal came queries again before it sleeps, so no signal is ever missed; one that
 * takes a full batch passes the wake-up on, so a burst of messages still reaches every poller.
 */
export function createLongPolls(store: Store) {
  const channels = new Map<string, Channel>();

  const wakeOne = (channel: Channel) => {
    const sleeper = channel.sleepers.shift();
    sleeper?.wake?.();
  };

  const open = (name: string): Channel => {
    const channel = channels.get(name);
    if (channel) return channel;
    const created: Channel = { polls: new Set(), sleepers: [], stopListening: () => undefined };
    created.stopListening = store.listen(name, () => {
      for (const poll of created.polls) if (!created.sleepers.includes(poll)) poll.woken = true;
      wakeOne(created);
    });
    channels.set(name, created);
    return created;
  };

  return {
    /** Starts a long poll on `name` (a queue's channel); `end` it when the receive returns. */
    start(name: string): LongPoll {
      const channel = open(name);
      const state: PollState = { woken: false };
      channel.polls.add(state);
      const leaveSleepers = () => {
        const index = channel.sleepers.indexOf(state);
        if (index >= 0) channel.sleepers.splice(index, 1);
      };
      return {
        get woken() {
          return state.woken;
        },
        set woken(value: boolean) {
          state.woken = value;
        },
        sleep: (millis) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(done, millis);
            function done() {
              clearTimeout(timer);
              leaveSleepers();
              state.wake = undefined;
              resolve();
            }
            state.wake = done;
            channel.sleepers.push(state);
          }),
        passOn: () => wakeOne(channel),
        interrupt: () => state.wake?.(),
        end: () => {
          leaveSleepers();
          channel.polls.delete(state);
          if (channel.polls.size === 0) {
            channel.stopListening();
            channels.delete(name);
          }
        },
      };
    },
  };
}

export type LongPolls = ReturnType<typeof createLongPolls>;
