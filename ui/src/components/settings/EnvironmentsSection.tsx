import { useId, useRef } from "react";
import type { Api } from "../../backend";
import type { EnvironmentForm } from "../../bindings/EnvironmentForm";
import type { EstateFile } from "../../bindings/EstateFile";
import { environmentDraft, newEnvironmentDraft } from "../../lib/estateForm";
import { SAVED, useListEditing, type EstateEdits } from "./edits";
import { EnvironmentEditor } from "./EnvironmentEditor";
import { ItemActions, ListHead } from "./ListControls";

export interface EnvironmentsSectionProps {
  estate: EstateFile;
  client: Api;
  edits: EstateEdits;
}

export function EnvironmentsSection({ estate, client, edits }: EnvironmentsSectionProps) {
  const root = useRef<HTMLElement>(null);
  const headingId = useId();
  const list = useListEditing(root);
  const editable = estate.editable;

  const label = (e: EnvironmentForm) => e.name || e.id;
  const checksIn = (e: EnvironmentForm) => estate.checks.filter((c) => c.environment === e.id).length;

  const save = async (originalId: string | null, environment: EnvironmentForm) => {
    const error = await edits.change(
      (rev) => client.saveEnvironment(rev, originalId, environment),
      "Saving…",
      SAVED,
    );
    if (error === null) list.saved(originalId, environment.id);
    return error;
  };

  const remove = async (environment: EnvironmentForm) => {
    const error = await edits.change(
      (rev) => client.removeEnvironment(rev, environment.id),
      "Removing…",
      `Removed environment ${label(environment)}. The engine uses the new configuration now.`,
    );
    if (error === null) list.removed();
    return error;
  };

  return (
    <section ref={root} className="settings-section" aria-labelledby={headingId}>
      <ListHead
        headingId={headingId}
        title="Environments"
        addLabel="Add environment"
        editable={editable}
        list={list}
      />

      {list.adding && (
        <EnvironmentEditor
          title="Add environment"
          initial={newEnvironmentDraft()}
          existing={false}
          edits={edits}
          onSave={(e) => save(null, e)}
          onCancel={list.stopAdding}
        />
      )}

      {estate.environments.length === 0 ? (
        <p className="muted">No environments yet. Checks can also do without one.</p>
      ) : (
        <ul className="settings-list">
          {estate.environments.map((e) => {
            const count = checksIn(e);
            return list.isEditing(e.id) ? (
              <li key={e.id} className="settings-item settings-item-open">
                <EnvironmentEditor
                  title={`Edit environment ${label(e)}`}
                  initial={environmentDraft(e)}
                  existing
                  edits={edits}
                  onSave={(form) => save(e.id, form)}
                  onCancel={() => list.stopEditing(e.id)}
                />
              </li>
            ) : (
              <li key={e.id} className="settings-item">
                <div className="settings-item-text">
                  <span className="settings-item-name">{label(e)}</span>
                  {e.name && e.name !== e.id && <span className="muted settings-id">{e.id}</span>}
                  <span className="settings-item-detail muted">
                    {count === 1 ? "1 check" : `${count} checks`}
                    {e.order !== null && `, order ${e.order}`}
                  </span>
                </div>
                {editable && (
                  <ItemActions
                    id={e.id}
                    kind="environment"
                    label={label(e)}
                    note={
                      count === 0
                        ? undefined
                        : count === 1
                          ? "1 check belongs to it: move or remove it first."
                          : `${count} checks belong to it: move or remove them first.`
                    }
                    list={list}
                    edits={edits}
                    onRemove={() => remove(e)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
