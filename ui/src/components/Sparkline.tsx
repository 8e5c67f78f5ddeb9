import { sparklinePath } from "../lib/queues";

const W = 64;
const H = 20;

/**
 * A queue's depth over the last hour as one small line. Hidden from assistive technology:
 * the depth itself is in the row, and a shape without axes says nothing when read out.
 */
export function Sparkline({ values }: { values: readonly number[] }) {
  if (values.length === 0) return null;
  return (
    <svg
      className="spark"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      aria-hidden="true"
      focusable="false"
    >
      <path d={sparklinePath(values, W, H)} />
    </svg>
  );
}
