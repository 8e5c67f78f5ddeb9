import type { Movement } from "../bindings/Movement";
import { MOVEMENT_LABEL, MOVEMENT_MEANING } from "../lib/queues";

/** A shape per movement, so that it never depends on colour alone. */
function MovementIcon({ movement }: { movement: Movement }) {
  return (
    <svg className="movement-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      {movement === "idle" && <path d="M3 8h10" stroke="currentColor" strokeWidth="2" />}
      {movement === "moving" && (
        <path d="M2 8h10M8.5 4.5L12 8l-3.5 3.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
      )}
      {movement === "growing" && (
        <path d="M3 13L12.5 3.5M6 3h7v7" fill="none" stroke="currentColor" strokeWidth="1.8" />
      )}
      {movement === "stalled" && (
        <>
          <rect x="3" y="2.5" width="3.5" height="11" rx="0.8" fill="currentColor" />
          <rect x="9.5" y="2.5" width="3.5" height="11" rx="0.8" fill="currentColor" />
        </>
      )}
      {movement === "no-consumers" && (
        <>
          <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.8" />
          <path d="M3.8 12.2l8.4-8.4" stroke="currentColor" strokeWidth="1.8" />
        </>
      )}
    </svg>
  );
}

/** How a queue is moving: icon and word, with what it means as the tooltip. */
export function MovementBadge({ movement }: { movement: Movement }) {
  return (
    <span className={`movement movement-${movement}`} title={MOVEMENT_MEANING[movement]}>
      <MovementIcon movement={movement} />
      <span className="movement-text">{MOVEMENT_LABEL[movement]}</span>
    </span>
  );
}
