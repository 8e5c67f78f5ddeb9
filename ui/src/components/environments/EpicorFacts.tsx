// The check page of an Epicor environment: what its last inspection found, in brief (release
// and patch, health, how many companies and solutions, the SQL Server and its last full
// backup, problems and warnings), with the way to the whole card on the Environments page.

import type { EnvironmentInfo } from "../../bindings/EnvironmentInfo";
import { partNote, sqlProductLabel, type PartName } from "../../lib/epicor";
import { ENVIRONMENTS_HREF } from "../../lib/route";
import { Health, PartValue, ProblemsAndWarnings } from "./EnvironmentCard";
import { Fact, Note } from "./Facts";
import { BackupAge } from "./SqlServer";

export function EpicorFacts({ env }: { env: EnvironmentInfo }) {
  const checked = env.parts.length > 0;
  return (
    <section aria-labelledby="epicor-h" className="epicor-facts" data-epicor-id={env.id}>
      <div className="section-head">
        <h2 id="epicor-h">Epicor environment</h2>
        <a className="epicor-facts-link" href={ENVIRONMENTS_HREF}>
          Open on the Environments page
        </a>
      </div>
      <ProblemsAndWarnings env={env} />
      {checked ? (
        <dl className="facts">
          <Fact label="Release">
            <PartValue env={env} part="version" value={env.version} />
            {env.patch_level && env.patch_level !== env.version && (
              <span className="muted"> · patch {env.patch_level}</span>
            )}
          </Fact>
          <Fact label="Health">
            <Health env={env} />
          </Fact>
          <Fact label="Companies">
            <Count env={env} part="companies" n={env.companies.length} one="company" many="companies" />
          </Fact>
          <Fact label="Solutions">
            <Count env={env} part="solutions" n={env.solutions.length} one="solution" many="solutions" />
          </Fact>
          <Fact label="SQL Server">
            <SqlSummary env={env} />
          </Fact>
        </dl>
      ) : (
        <p className="muted">Not inspected yet.</p>
      )}
    </section>
  );
}

function Count({
  env,
  part,
  n,
  one,
  many,
}: {
  env: EnvironmentInfo;
  part: PartName;
  n: number;
  one: string;
  many: string;
}) {
  const note = partNote(env, part);
  if (note && n === 0) return <Note note={note} />;
  return (
    <>
      {n} {n === 1 ? one : many}
    </>
  );
}

/** "SQL Server 2019 CU18 · last full backup 10 h ago", or why it is not known. */
function SqlSummary({ env }: { env: EnvironmentInfo }) {
  const sql = env.sql;
  const note = partNote(env, "sql", "not configured");
  if (sql === null) return note ? <Note note={note} /> : <span className="muted">—</span>;
  const db = sql.database;
  return (
    <>
      {sqlProductLabel(sql)}
      <span className="epicor-facts-backup" data-backup="full">
        {db.backup_history_error ? (
          <span className="env-failed">backup history not readable: {db.backup_history_error}</span>
        ) : (
          <>
            Last full backup <BackupAge time={db.last_full_backup} checkedAt={env.checked_at} />
          </>
        )}
      </span>
      {note && <Note note={note} />}
    </>
  );
}
