// Where a CAB stands: four steps (in the repository, installed, approved, promoted), each with a
// shape of its own, so the stage never depends on colour alone. A rejection takes the approval's
// place, in the colour and shape of a failure.

import type { Stage } from "../../bindings/Stage";
import type { VersionState } from "../../bindings/VersionState";
import { pipelineSteps, STAGE_LABEL, type StepState } from "../../lib/cab";

const STEP_STATE_TEXT: Record<StepState, string> = {
  done: "done",
  current: "current stage",
  rejected: "current stage",
  skipped: "not recorded",
  todo: "not yet",
};

export function StagePipeline({ stage, newest }: { stage: Stage; newest: VersionState }) {
  const steps = pipelineSteps(stage, newest);
  return (
    <ol className={`cab-steps cab-steps-${stage}`} aria-label={`Stage: ${STAGE_LABEL[stage]}`}>
      {steps.map((s) => (
        <li
          key={s.key}
          className={`cab-step cab-step-${s.state}`}
          aria-current={s.state === "current" || s.state === "rejected" ? "step" : undefined}
        >
          <StepMark state={s.state} />
          <span className="cab-step-label">
            {s.label}
            <span className="sr-only">, {STEP_STATE_TEXT[s.state]}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}

function StepMark({ state }: { state: StepState }) {
  return (
    <svg className="cab-step-mark" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      {state === "done" && (
        <>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" stroke="var(--icon-ink)" strokeWidth="1.8" />
        </>
      )}
      {state === "current" && (
        <>
          <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="2" />
          <circle cx="8" cy="8" r="3" fill="currentColor" />
        </>
      )}
      {state === "rejected" && (
        <>
          <rect x="1" y="1" width="14" height="14" rx="2" fill="currentColor" />
          <path d="M5 5l6 6M11 5l-6 6" stroke="var(--icon-ink)" strokeWidth="1.8" />
        </>
      )}
      {state === "skipped" && (
        <>
          <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.6" strokeDasharray="2.5 2" />
          <path d="M5 8h6" stroke="currentColor" strokeWidth="1.6" />
        </>
      )}
      {state === "todo" && <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.6" />}
    </svg>
  );
}
