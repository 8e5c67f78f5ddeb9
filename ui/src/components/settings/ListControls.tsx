// The buttons of an editable settings list. `useListEditing` finds them again through their
// `data-action` / `data-item` to put focus back when a form or a confirmation closes, so they
// are made here, once, rather than by each section.

import type { BackendError } from "../../backend";
import { ConfirmRemove } from "./ConfirmRemove";
import type { EstateEdits, ListEditing } from "./edits";

export interface ListHeadProps {
  /** Labels the section. */
  headingId: string;
  /** "Checks" */
  title: string;
  /** "Add check" */
  addLabel: string;
  editable: boolean;
  list: ListEditing;
}

/** The section's heading, and its Add button while the list can be edited and no item is being added. */
export function ListHead({ headingId, title, addLabel, editable, list }: ListHeadProps) {
  return (
    <div className="section-head">
      <h2 id={headingId} tabIndex={-1} data-action="heading">
        {title}
      </h2>
      {editable && !list.adding && (
        <button type="button" data-action="add" onClick={list.startAdding}>
          {addLabel}
        </button>
      )}
    </div>
  );
}

export interface ItemActionsProps {
  id: string;
  /** "check" or "environment", in "Edit check Payments API". */
  kind: string;
  /** What the item is called, in "Edit check Payments API". */
  label: string;
  /** Something the user should know before removing the item. */
  note?: string | undefined;
  list: ListEditing;
  edits: EstateEdits;
  onRemove: () => Promise<BackendError | null>;
  /** Whether the item has a form here; without one only "Remove" is offered. */
  editable?: boolean;
}

/** An item's Edit and Remove buttons, or in their place the question whether to remove it. */
export function ItemActions({ id, kind, label, note, list, edits, onRemove, editable = true }: ItemActionsProps) {
  if (list.confirming === id) {
    return (
      <ConfirmRemove
        question={`Remove ${kind} ${label}?`}
        note={note}
        edits={edits}
        onRemove={onRemove}
        onCancel={list.cancelConfirming}
      />
    );
  }
  // The visible "Edit" alone would mean the same for every item; the hidden rest names it.
  return (
    <div className="settings-item-actions">
      {editable && (
        <button type="button" data-action="edit" data-item={id} onClick={() => list.startEditing(id)}>
          Edit <span className="sr-only">{kind} {label}</span>
        </button>
      )}
      <button type="button" data-action="remove" data-item={id} onClick={() => list.startConfirming(id)}>
        Remove <span className="sr-only">{kind} {label}</span>
      </button>
    </div>
  );
}
