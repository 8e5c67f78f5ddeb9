import { useId, useMemo, useRef, useState } from "react";
import type { Api } from "../../backend";
import type { CheckForm } from "../../bindings/CheckForm";
import type { EstateFile } from "../../bindings/EstateFile";
import { checkDraft, newCheckDraft } from "../../lib/estateForm";
import { CheckEditor } from "./CheckEditor";
import { SAVED, useListEditing, type EstateEdits } from "./edits";
import { ItemActions, ListHead } from "./ListControls";

export interface ChecksSectionProps {
  estate: EstateFile;
  client: Api;
  edits: EstateEdits;
}

interface Group {
  key: string;
  title: string;
  /** Shown after the title when it differs from it. */
  id: string;
  checks: CheckForm[];
}

export function ChecksSection({ estate, client, edits }: ChecksSectionProps) {
  const root = useRef<HTMLElement>(null);
  const headingId = useId();
  const filterId = useId();
  const [query, setQuery] = useState("");
  const list = useListEditing(root);
  const editable = estate.editable;

  const labels = useMemo(() => checkLabels(estate.checks), [estate.checks]);
  const groups = useMemo(() => groupChecks(estate, query), [estate, query]);
  const label = (c: CheckForm) => labels.get(c.id) ?? c.id;

  const save = async (originalId: string | null, check: CheckForm) => {
    const error = await edits.change((rev) => client.saveCheck(rev, originalId, check), "Saving…", SAVED);
    if (error === null) list.saved(originalId, check.id);
    return error;
  };

  const remove = async (check: CheckForm) => {
    const error = await edits.change(
      (rev) => client.removeCheck(rev, check.id),
      "Removing…",
      `Removed check ${label(check)}. The engine uses the new configuration now.`,
    );
    if (error === null) list.removed();
    return error;
  };

  const onlyEnvironment = estate.environments.length === 1 ? estate.environments[0]!.id : "";

  return (
    <section ref={root} className="settings-section" aria-labelledby={headingId}>
      <ListHead headingId={headingId} title="Checks" addLabel="Add check" editable={editable} list={list} />

      {list.adding && (
        <CheckEditor
          title="Add check"
          initial={newCheckDraft(onlyEnvironment)}
          environments={estate.environments}
          edits={edits}
          onSave={(c) => save(null, c)}
          onCancel={list.stopAdding}
        />
      )}

      {estate.checks.length === 0 ? (
        <p className="muted">No checks yet.</p>
      ) : (
        <>
          <div className="settings-filter">
            <label htmlFor={filterId}>Filter checks</label>
            <input
              id={filterId}
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="ID, name, URL or tag"
              autoComplete="off"
            />
          </div>
          {groups.length === 0 && <p className="muted">No checks match “{query.trim()}”.</p>}
          {groups.map((g) => (
            <div key={g.key} className="settings-group">
              <h3>
                {g.title}
                {g.id && g.id !== g.title && (
                  <>
                    {" "}
                    <span className="muted settings-id">{g.id}</span>
                  </>
                )}
              </h3>
              <ul className="settings-list">
                {g.checks.map((c) =>
                  list.isEditing(c.id) ? (
                    <li key={c.id} className="settings-item settings-item-open">
                      <CheckEditor
                        title={`Edit check ${label(c)}`}
                        initial={checkDraft(c)}
                        environments={estate.environments}
                        edits={edits}
                        onSave={(form) => save(c.id, form)}
                        onCancel={() => list.stopEditing(c.id)}
                      />
                    </li>
                  ) : (
                    <li key={c.id} className="settings-item">
                      <div className="settings-item-text">
                        <span className="settings-item-name">{c.name || c.id}</span>
                        {c.name && c.name !== c.id && <span className="muted settings-id">{c.id}</span>}
                        {!c.enabled && <span className="settings-badge">Disabled</span>}
                        <span className="settings-item-detail wrap">
                          {c.type === "http" && c.method && c.method !== "GET" ? `${c.method} ` : ""}
                          {c.url || "—"}
                        </span>
                        {c.type !== "http" && (
                          // The forms cover HTTP checks; the other types have keys of their own.
                          <span className="muted settings-item-detail">
                            A <code>{c.type}</code> check: edit it in the configuration file.
                          </span>
                        )}
                      </div>
                      {editable && (
                        <ItemActions
                          id={c.id}
                          kind="check"
                          label={label(c)}
                          list={list}
                          edits={edits}
                          onRemove={() => remove(c)}
                          editable={c.type === "http"}
                        />
                      )}
                    </li>
                  ),
                )}
              </ul>
            </div>
          ))}
        </>
      )}
    </section>
  );
}

/**
 * What buttons and questions call each check: its name, with the id added where two checks
 * share a name, so "Edit check API" never means two things.
 */
function checkLabels(checks: readonly CheckForm[]): Map<string, string> {
  const uses = new Map<string, number>();
  for (const c of checks) {
    const name = c.name || c.id;
    uses.set(name, (uses.get(name) ?? 0) + 1);
  }
  return new Map(
    checks.map((c) => {
      const name = c.name || c.id;
      return [c.id, (uses.get(name) ?? 0) > 1 ? `${name} (${c.id})` : name];
    }),
  );
}

/** Checks by environment, in the file's order of environments; those without one last. */
function groupChecks(estate: EstateFile, query: string): Group[] {
  const q = query.trim().toLowerCase();
  const matches = (c: CheckForm) =>
    q === "" ||
    [c.id, c.name, c.url, c.environment, ...c.tags].some((s) => s.toLowerCase().includes(q));

  const groups = new Map<string, Group>();
  for (const e of estate.environments) {
    groups.set(e.id, { key: `env:${e.id}`, title: e.name || e.id, id: e.id, checks: [] });
  }
  const none: Group = { key: "none", title: "No environment", id: "", checks: [] };
  for (const c of estate.checks) {
    if (!matches(c)) continue;
    let group = c.environment === "" ? none : groups.get(c.environment);
    if (!group) {
      // Named by the check but not defined in the file: the engine refuses that, but show it.
      group = { key: `env:${c.environment}`, title: c.environment, id: "", checks: [] };
      groups.set(c.environment, group);
    }
    group.checks.push(c);
  }
  return [...groups.values(), none].filter((g) => g.checks.length > 0);
}
