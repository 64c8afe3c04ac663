import { Fragment, useState } from "react";
import { RedriveButton, RedriveResult, useRowAction } from "../action";
import { listQueues, peekQueue, type QueueInfo, type QueueMessage, redriveQueue } from "../api";
import { ErrorNote } from "../components";
import { json, time } from "../format";
import { usePoll } from "../poll";
import { useTitle } from "../router";

const REFRESH_MILLIS = 3_000;
const PEEK_LIMIT = 10;

/** A dead-letter queue is one some queue's redrive policy sends to. */
export const isDeadLetterQueue = (queue: QueueInfo) => (queue.deadLetterSourceQueues?.length ?? 0) > 0;

function Messages({ messages }: { messages: QueueMessage[] | Error }) {
  if (messages instanceof Error) {
    return (
      <p className="error-text" data-testid="peek-error">
        {messages.message}
      </p>
    );
  }
  if (messages.length === 0) {
    return (
      <p className="muted" data-testid="peek-empty">
        No visible message.
      </p>
    );
  }
  return (
    <table className="messages" data-testid="peek-messages">
      <thead>
        <tr>
          <th>Message</th>
          <th className="number">Receives</th>
          <th>Sent</th>
          <th>Body</th>
        </tr>
      </thead>
      <tbody>
        {messages.map((message) => (
          <tr key={message.messageId} data-testid="message-row">
            <td className="mono small">{message.messageId}</td>
            <td className="number">{message.receiveCount}</td>
            <td title={message.sentAt}>{time(message.sentAt)}</td>
            <td>
              <pre data-testid="message-body">{json(message.body)}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function QueueRow({ queue, onChanged }: { queue: QueueInfo; onChanged: () => void }) {
  const [peeking, setPeeking] = useState(false);
  const [messages, setMessages] = useState<QueueMessage[] | Error>();
  const redriving = useRowAction<string>(onChanged);
  const dlq = isDeadLetterQueue(queue);

  const peek = async () => {
    setPeeking(true);
    try {
      setMessages((await peekQueue(queue.name, PEEK_LIMIT)).messages);
    } catch (caught) {
      setMessages(caught as Error);
    } finally {
      setPeeking(false);
      onChanged();
    }
  };

  const redrive = () => {
    const to = queue.deadLetterSourceQueues?.join(", ") ?? "their source queues";
    if (!window.confirm(`Move the ${queue.visible} messages of ${queue.name} back to ${to}?`)) return;
    void redriving.run(async () => {
      const { taskHandle } = await redriveQueue(queue.name);
      setMessages(undefined);
      return `Redrive started (task ${taskHandle})`;
    });
  };

  return (
    <Fragment>
      <tr data-testid="queue-row" data-queue={queue.name} data-dlq={dlq} className={dlq ? "dlq" : ""}>
        <td>
          <strong>{queue.name}</strong>
          {dlq ? (
            <>
              {" "}
              <span className="badge badge-dlq" title="A dead-letter queue">
                DLQ
              </span>
            </>
          ) : null}
        </td>
        <td
          className={`number ${dlq && queue.visible > 0 ? "dlq-depth" : ""}`}
          data-testid="visible"
          data-value={queue.visible}
        >
          {queue.visible}
        </td>
        <td className="number" data-testid="in-flight">
          {queue.inFlight}
        </td>
        <td className="number" data-testid="delayed">
          {queue.delayed}
        </td>
        <td data-testid="dead-letter-queue">
          {queue.deadLetterQueue ? (
            <>
              {queue.deadLetterQueue}{" "}
              <span className="muted small">
                after {queue.maxReceiveCount} receive{queue.maxReceiveCount === 1 ? "" : "s"}
              </span>
            </>
          ) : (
            <span className="muted">none</span>
          )}
        </td>
        <td data-testid="fed-by">{queue.deadLetterSourceQueues?.join(", ") ?? ""}</td>
        <td className="queue-actions">
          <button
            type="button"
            onClick={() => void peek()}
            disabled={peeking}
            data-testid="peek"
            title="Receives up to 10 messages and makes them visible again at once: a peek counts as a receive"
          >
            {peeking ? "Peeking…" : "Peek"}
          </button>{" "}
          {dlq ? (
            <RedriveButton
              busy={redriving.busy}
              disabled={queue.visible === 0}
              onClick={redrive}
              testId="redrive"
              title={`Move its messages back to ${queue.deadLetterSourceQueues?.join(", ")}`}
            />
          ) : null}{" "}
          <RedriveResult result={redriving.result} />
        </td>
      </tr>
      {messages ? (
        <tr className="peek-row" data-testid="peek-panel" data-queue={queue.name}>
          <td colSpan={7}>
            <div className="peek-header">
              <strong>
                {messages instanceof Error ? "" : `${messages.length} `}message
                {messages instanceof Error || messages.length !== 1 ? "s" : ""} of {queue.name}
              </strong>{" "}
              <span className="warning small" data-testid="peek-warning">
                A peek counts as a receive: on a queue with a dead-letter queue, it brings each message nearer
                to it.
              </span>{" "}
              <button type="button" onClick={() => setMessages(undefined)}>
                Close
              </button>
            </div>
            <Messages messages={messages} />
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

export function QueuesPage() {
  useTitle("Queues");
  const { data, error, refresh } = usePoll((signal) => listQueues(signal), [], REFRESH_MILLIS);
  const queues = data?.queues ?? [];
  const dead = queues.filter((queue) => isDeadLetterQueue(queue) && queue.visible > 0);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Queues</h1>
        <span className="live" title="Refreshed every 3 seconds">
          live
        </span>
        {dead.length > 0 ? (
          <span className="error-text" data-testid="dlq-summary">
            {dead.reduce((sum, queue) => sum + queue.visible, 0)} messages in {dead.length} dead-letter queue
            {dead.length === 1 ? "" : "s"}
          </span>
        ) : null}
      </header>
      <ErrorNote error={error} />
      <p className="muted small">
        Peek shows up to {PEEK_LIMIT} visible messages and makes them visible again at once; it counts as a
        receive (SQS has no read-only look). Redrive moves a dead-letter queue's messages back to the queues
        that feed it.
      </p>
      {data && queues.length === 0 ? <p className="muted">No queue.</p> : null}
      {queues.length > 0 ? (
        <table data-testid="queues-table">
          <thead>
            <tr>
              <th>Queue</th>
              <th className="number">Visible</th>
              <th className="number">In flight</th>
              <th className="number">Delayed</th>
              <th>Dead-letter queue</th>
              <th>Fed by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {queues.map((queue) => (
              <QueueRow key={queue.name} queue={queue} onChanged={refresh} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
