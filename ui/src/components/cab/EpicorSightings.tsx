// What the Epicor environments themselves list for a CAB, beside the install recorded in each
// environment of the matrix: a line per Epicor environment, and where the two disagree a ⚠
// mark with the difference in words (a tooltip and screen-reader text on the board, a visible
// note on a CAB's page).

import type { Sighting } from "../../bindings/Sighting";
import { differenceSentence, sightingText, sightingTitle, solutionText } from "../../lib/cab";
import { ENVIRONMENTS_HREF } from "../../lib/route";

/** Differs, lists the CAB, or lists none of it. */
function lineClass(s: Sighting): string {
  return s.difference !== null ? "cab-epicor-differs" : s.solution ? "cab-epicor-seen" : "cab-epicor-absent";
}

function EpicorName({ sighting: s }: { sighting: Sighting }) {
  return (
    <a className="cab-epicor-name" href={ENVIRONMENTS_HREF}>
      {s.epicor_name}
    </a>
  );
}

/** The lines under a cell of the board: "Epicor Test: build 3", marked where it differs. */
export function EpicorCellLines({ sightings }: { sightings: readonly Sighting[] }) {
  if (sightings.length === 0) return null;
  return (
    <ul className="cab-epicor" aria-label="What Epicor lists">
      {sightings.map((s) => {
        const differs = s.difference !== null;
        return (
          <li
            key={s.epicor}
            className={lineClass(s)}
            data-epicor={s.epicor}
            data-differs={differs || undefined}
            title={sightingTitle(s)}
          >
            <EpicorName sighting={s} />
            <span className="cab-epicor-sep">: </span>
            <span className="cab-epicor-value">
              <span className="cab-epicor-state">{sightingText(s)}</span>
              {s.difference !== null && (
                <span className="cab-differs">
                  {" "}
                  <span aria-hidden="true">⚠</span> differs
                  <span className="sr-only">: {differenceSentence(s.difference)}</span>
                </span>
              )}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** The lines under an environment of a CAB's page, each difference written out. */
export function EpicorWhereLines({ sightings }: { sightings: readonly Sighting[] }) {
  if (sightings.length === 0) return null;
  return (
    <ul className="cab-epicor cab-epicor-where" aria-label="What Epicor lists">
      {sightings.map((s) => {
        const solution = solutionText(s);
        return (
          <li
            key={s.epicor}
            className={lineClass(s)}
            data-epicor={s.epicor}
            data-differs={s.difference !== null || undefined}
            title={sightingTitle(s)}
          >
            <EpicorName sighting={s} />:{" "}
            <span className="cab-epicor-state">{solution ?? sightingText(s)}</span>
            {s.difference !== null && (
              <p className="cab-difference">
                <span aria-hidden="true">⚠ </span>
                <span className="sr-only">Differs: </span>
                {differenceSentence(s.difference)}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
