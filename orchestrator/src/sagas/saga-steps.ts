import { enqueueActions } from 'xstate';
import type { CommandType, FailureReason, PayloadOf } from '@sagaflow/contracts';
import type { ReplyPayload, SagaCommand, SagaCommandEmitted, SagaContextBase, SagaEvent } from './saga-protocol.js';

/**
 * The behaviour every saga step shares, written once: send the step's command on entry, accept only
 * the awaited reply, resend on timeout within the budget, stall when it is spent, and let an operator
 * retry (or, before the pivot, compensate) a stalled step.
 */

/** Tag of the states that undo work; a saga in one of them is `COMPENSATING`. */
export const COMPENSATING_TAG = 'compensating';
export type SagaTag = typeof COMPENSATING_TAG;

/** What a step sends; the step gives it its command id. */
export interface StepCommand<T extends CommandType = CommandType> {
  type: T;
  payload: PayloadOf<T>;
}

export const stepCommand = <T extends CommandType>(type: T, payload: PayloadOf<T>): StepCommand =>
  ({ type, payload }) as StepCommand;

/** How each step of a machine builds its command from the context. */
export type StepCommands<TContext extends SagaContextBase, TStep extends string> = Record<
  TStep,
  (context: TContext) => StepCommand
>;

/** Deterministic, so that a resend (or a re-run after a crash) carries the same id. */
export const commandIdOf = (sagaId: string, step: string): string => `${sagaId}.${step}`;

/** The step a command (or its reply) belongs to, read back from its id; null for an id not made by `commandIdOf`. */
export const stepOfCommandId = (sagaId: string, commandId: unknown): string | null =>
  typeof commandId === 'string' && commandId.startsWith(`${sagaId}.`) ? commandId.slice(sagaId.length + 1) : null;

/** Human-readable, yet keeps the code for whoever searches by it. */
export const describeFailure = (reason: FailureReason): string =>
  reason.message ? `${reason.code}: ${reason.message}` : reason.code;

interface GuardInput {
  context: SagaContextBase;
  event: SagaEvent;
}

const awaitedReply = ({ context, event }: GuardInput): ReplyPayload | null =>
  event.type === 'REPLY' && context.awaiting !== null && event.commandId === context.awaiting.command.commandId
    ? event.reply
    : null;

const budgetLeft = ({ context }: GuardInput): boolean =>
  context.awaiting !== null && context.awaiting.attempts < context.maxAttempts;

/** Guards for `setup({ guards })`; they read only the base context, so every saga can use them. */
export const sagaStepGuards = {
  isAwaitedReply: (input: GuardInput) => awaitedReply(input) !== null,
  isAwaitedSuccess: (input: GuardInput) => awaitedReply(input)?.outcome === 'success',
  isAwaitedFailure: (input: GuardInput) => awaitedReply(input)?.outcome === 'failure',
  isStalled: ({ context }: GuardInput) => context.stalled,
  // A stalled step waits for an operator or a late reply; further deadlines change nothing.
  canResend: (input: GuardInput) => !input.context.stalled && budgetLeft(input),
  mustStall: (input: GuardInput) => !input.context.stalled && input.context.awaiting !== null && !budgetLeft(input),
};

/**
 * Actions for `setup({ actions })`, bound to a machine's step commands. The casts widen the shared
 * patch of `SagaContextBase` fields to the machine's own context type.
 */
export function sagaStepActions<TContext extends SagaContextBase, TStep extends string>(
  commands: StepCommands<TContext, TStep>,
) {
  const patch = (fields: Partial<SagaContextBase>) => fields as Partial<TContext>;
  const entering = enqueueActions<
    TContext,
    SagaEvent,
    { step: TStep; compensating: boolean },
    SagaEvent,
    never,
    never,
    never,
    never,
    SagaCommandEmitted
  >;
  const plain = enqueueActions<
    TContext,
    SagaEvent,
    undefined,
    SagaEvent,
    never,
    never,
    never,
    never,
    SagaCommandEmitted
  >;

  return {
    enterStep: entering(({ context, enqueue }, { step, compensating }) => {
      const command: SagaCommand = { commandId: commandIdOf(context.sagaId, step), ...commands[step](context) };
      enqueue.assign(patch({ awaiting: { step, command, attempts: 1, compensating }, stalled: false }));
      enqueue.emit({ type: 'command', command, resend: false });
    }),
    resendCommand: plain(({ context, enqueue }) => {
      if (!context.awaiting) return;
      enqueue.assign(patch({ awaiting: { ...context.awaiting, attempts: context.awaiting.attempts + 1 } }));
      enqueue.emit({ type: 'command', command: context.awaiting.command, resend: true });
    }),
    stall: plain(({ enqueue }) => {
      enqueue.assign(patch({ stalled: true }));
    }),
    retryStep: plain(({ context, enqueue }) => {
      if (!context.awaiting) return;
      enqueue.assign(patch({ awaiting: { ...context.awaiting, attempts: 1 }, stalled: false }));
      enqueue.emit({ type: 'command', command: context.awaiting.command, resend: true });
    }),
    finish: plain(({ enqueue }) => {
      enqueue.assign(patch({ awaiting: null, stalled: false }));
    }),
  };
}

/** A transition out of a step: where to go, and what to record on the way. */
export interface StepExit<TAction> {
  target: string;
  actions?: readonly TAction[];
}

export interface StepSpec<TStep extends string, TAction> {
  step: TStep;
  /** Where a success reply leads; without `onFailure`, any reply leads here. */
  onSuccess: StepExit<TAction>;
  onFailure?: StepExit<TAction>;
  /** Only for steps before the pivot: where an operator's COMPENSATE of a stalled step leads. */
  onCompensate?: StepExit<TAction>;
  compensating?: boolean;
}

const exit = <TAction>(guard: keyof typeof sagaStepGuards, to: StepExit<TAction>) => ({
  guard,
  target: to.target,
  actions: to.actions ?? [],
});

/** The state node of one step, for `createMachine({ states })`. */
export function sagaStep<TStep extends string, const TAction extends string = never>(spec: StepSpec<TStep, TAction>) {
  const compensating = spec.compensating ?? false;
  const tags: SagaTag[] = compensating ? [COMPENSATING_TAG] : [];
  const reply = spec.onFailure
    ? [exit('isAwaitedSuccess', spec.onSuccess), exit('isAwaitedFailure', spec.onFailure)]
    : [exit('isAwaitedReply', spec.onSuccess)];
  return {
    tags,
    entry: { type: 'enterStep', params: { step: spec.step, compensating } },
    on: {
      REPLY: reply,
      TIMEOUT: [
        { guard: 'canResend', actions: 'resendCommand' },
        { guard: 'mustStall', actions: 'stall' },
      ],
      RETRY: { guard: 'isStalled', actions: 'retryStep' },
      ...(spec.onCompensate ? { COMPENSATE: exit('isStalled', spec.onCompensate) } : {}),
    },
  } as const;
}
