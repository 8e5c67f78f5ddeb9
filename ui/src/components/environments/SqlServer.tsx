import { useId } from "react";
import type { BackupTime } from "../../bindings/BackupTime";
import type { EnvironmentInfo } from "../../bindings/EnvironmentInfo";
import type { Lifecycle } from "../../bindings/Lifecycle";
import { useTicking } from "../../lib/clock";
import {
  backupInstant,
  capitalise,
  compatibilityBehind,
  formatMegabytes,
  hasEnded,
  partNote,
  sqlProductLabel,
} from "../../lib/epicor";
import { formatCalendarDate } from "../../lib/format";
import { Ago } from "../Ago";
import { Fact, Note } from "./Facts";

/** The SQL Server under an environment and its Epicor database, or why they are not known. */
export function SqlServer({ env }: { env: EnvironmentInfo }) {
  const headingId = useId();
  const sql = env.sql;
  const note = partNote(env, "sql", "SQL Server not configured");
  return (
    <section className="env-sql" aria-labelledby={headingId}>
      <h3 id={headingId}>SQL Server</h3>
      {note && (
        <p className="env-sql-note">
          <Note note={note} />
        </p>
      )}
      {sql && (
        <dl className="env-facts">
          <Fact label="Server">{sql.server}</Fact>
          <Fact label="Product">
            {sqlProductLabel(sql)}
            {sql.update_reference && <span className="muted"> ({sql.update_reference})</span>}
          </Fact>
          <Fact label="Version">{sql.product_version}</Fact>
          <Fact label="Edition">{sql.edition}</Fact>
          <Fact label="Database">{sql.database.name}</Fact>
          <Fact label="State">{sql.database.state}</Fact>
          <Fact label="Recovery model">{capitalise(sql.database.recovery_model.toLowerCase().replace("_", "-"))}</Fact>
          <Fact label="Compatibility level">
            {sql.database.compatibility_level ?? "—"}
            {compatibilityBehind(sql) && (
              <>
                {" "}
                <span className="env-behind">below the server's {sql.database.server_compatibility_level}</span>
              </>
            )}
          </Fact>
          <Fact label="Size">
            {sql.database.data_mb === null && sql.database.log_mb === null
              ? "—"
              : `${formatMegabytes(sql.database.data_mb)} data · ${formatMegabytes(sql.database.log_mb)} log`}
          </Fact>
          <Fact label="Last backups" wide>
            {sql.database.backup_history_error ? (
              <span className="env-failed">backup history not readable: {sql.database.backup_history_error}</span>
            ) : (
              <ul className="env-inline-list env-backups">
                <Backup kind="Full" time={sql.database.last_full_backup} checkedAt={env.checked_at} />
                <Backup kind="Differential" time={sql.database.last_differential_backup} checkedAt={env.checked_at} />
                <Backup kind="Log" time={sql.database.last_log_backup} checkedAt={env.checked_at} />
              </ul>
            )}
          </Fact>
          {sql.lifecycle && (
            <Fact label="Support" wide>
              <Support lifecycle={sql.lifecycle} />
            </Fact>
          )}
        </dl>
      )}
    </section>
  );
}

function Backup({ kind, time, checkedAt }: { kind: string; time: BackupTime | null; checkedAt: string }) {
  return (
    <li data-backup={kind.toLowerCase()}>
      {kind} <BackupAge time={time} checkedAt={checkedAt} />
    </li>
  );
}

/** How long ago a backup finished ("10 h ago"), its time as the server wrote it, or "none recorded". */
export function BackupAge({ time, checkedAt }: { time: BackupTime | null; checkedAt: string }) {
  const at = time ? backupInstant(checkedAt, time.age_minutes) : null;
  if (at) return <Ago iso={at} />;
  return time ? <span>{time.finished}</span> : <span className="muted">none recorded</span>;
}

function Support({ lifecycle }: { lifecycle: Lifecycle }) {
  const mainstreamEnded = useTicking((now) => hasEnded(lifecycle.mainstream_end, now));
  const extendedEnded = useTicking((now) => hasEnded(lifecycle.extended_end, now));
  const when = (ended: boolean, day: string) => `${ended ? "ended" : "until"} ${formatCalendarDate(day)}`;
  return (
    <>
      {lifecycle.product}: mainstream support {when(mainstreamEnded, lifecycle.mainstream_end)}
      {"; "}
      <span className={extendedEnded ? "env-failed" : undefined}>
        extended support {when(extendedEnded, lifecycle.extended_end)}
      </span>
    </>
  );
}
