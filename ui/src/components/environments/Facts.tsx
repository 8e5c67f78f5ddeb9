import type { ReactNode } from "react";
import type { PartNote } from "../../lib/epicor";

/** One fact of an environment card's list; `wide` takes the whole row. */
export function Fact({ label, wide = false, children }: { label: string; wide?: boolean; children: ReactNode }) {
  return (
    <div className={wide ? "env-fact-wide" : undefined}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Why a part's facts are not shown: neutral for how things are, marked for a failure. */
export function Note({ note }: { note: PartNote }) {
  return <span className={note.tone === "failed" ? "env-failed" : "env-neutral"}>{note.text}</span>;
}
