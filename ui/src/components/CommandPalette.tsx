import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { Overview } from "../bindings/Overview";
import { jumpTargets, searchJumpTargets, type JumpTarget } from "../lib/jump";
import { navigate } from "../lib/route";
import { STATUS_LABEL } from "../lib/status";
import { StatusBadge } from "./StatusBadge";

/** Results shown at once: enough to scan, few enough to stay instant with thousands of checks. */
export const PALETTE_LIMIT = 50;
const PAGE_STEP = 10;

type FocusAfter = "opener" | "heading" | "none";

/**
 * "Jump to…": a modal dialog with a combobox that finds a check or page by name, id,
 * environment or tag. Arrow keys move, Enter opens, Escape closes and gives focus back to
 * where it was.
 */
export function CommandPalette({
  overview,
  onClose,
  admin = true,
}: {
  overview: Overview | null;
  onClose: () => void;
  /** Lists the pages only an admin can use (Credentials, Settings). */
  admin?: boolean;
}) {
  const titleId = useId();
  const inputId = useId();
  const listId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const [query, setQuery] = useState("");
  const [activeKey, setActiveKey] = useState<string | null>(null);
  // Read while rendering, before the rest of the page is made inert (which would blur it).
  const [opener] = useState(() =>
    document.activeElement instanceof HTMLElement ? document.activeElement : null,
  );
  const focusAfter = useRef<FocusAfter>("opener");

  const targets = useMemo(() => jumpTargets(overview, admin), [overview, admin]);
  const results = useMemo(() => searchJumpTargets(targets, query, PALETTE_LIMIT), [targets, query]);
  const shown = results.targets;
  // Follows the highlighted target by key, so live updates that reorder results do not move it.
  const found = shown.findIndex((t) => t.key === activeKey);
  const activeIndex = found >= 0 ? found : 0;
  const active: JumpTarget | undefined = shown[activeIndex];
  const optionId = (i: number) => `${listId}-${i}`;

  useEffect(() => {
    inputRef.current?.focus();
    return () => {
      if (focusAfter.current === "opener" && opener?.isConnected) opener.focus();
      else if (focusAfter.current === "heading") {
        document.querySelector<HTMLElement>("#main-content h1")?.focus();
      }
    };
  }, [opener]);

  useEffect(() => {
    const option = listRef.current?.children[activeIndex];
    // jsdom has no scrollIntoView.
    if (option instanceof HTMLElement && typeof option.scrollIntoView === "function") {
      option.scrollIntoView({ block: "nearest" });
    }
  }, [activeIndex]);

  const close = (after: FocusAfter) => {
    focusAfter.current = after;
    onClose();
  };

  const choose = (target: JumpTarget) => {
    // A new route moves focus to its heading by itself; the same route needs a hand.
    close(navigate(target.href) ? "none" : "heading");
  };

  const move = (delta: number, wrap: boolean) => {
    if (shown.length === 0) return;
    let next = activeIndex + delta;
    if (wrap) next = (next + shown.length) % shown.length;
    else next = Math.min(shown.length - 1, Math.max(0, next));
    setActiveKey(shown[next]?.key ?? null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case "ArrowDown":
        move(1, true);
        break;
      case "ArrowUp":
        move(-1, true);
        break;
      case "PageDown":
        move(PAGE_STEP, false);
        break;
      case "PageUp":
        move(-PAGE_STEP, false);
        break;
      case "Enter":
        if (active) choose(active);
        break;
      case "Escape":
        close("opener");
        break;
      case "Tab":
        // The input is the dialog's only control: keep focus inside.
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  const summary =
    results.total === 0
      ? "No matches"
      : results.total > shown.length
        ? `Showing the first ${shown.length} of ${results.total} matches; type more to narrow`
        : `${results.total} ${results.total === 1 ? "match" : "matches"}`;

  return (
    <div
      className="palette-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) close("opener");
      }}
    >
      <div className="palette" role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <h2 id={titleId} className="sr-only">
          Jump to
        </h2>
        <label className="sr-only" htmlFor={inputId}>
          Find a check or page
        </label>
        <input
          ref={inputRef}
          id={inputId}
          className="palette-input"
          type="text"
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={active ? optionId(activeIndex) : undefined}
          placeholder="Jump to a check, environment, tag or page…"
          autoComplete="off"
          spellCheck={false}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActiveKey(null);
          }}
          onKeyDown={onKeyDown}
        />
        <ul ref={listRef} id={listId} className="palette-list" role="listbox" aria-label="Checks and pages">
          {shown.map((t, i) => (
            <li
              key={t.key}
              id={optionId(i)}
              role="option"
              aria-selected={i === activeIndex}
              aria-label={optionLabel(t)}
              className="palette-option"
              // Keep focus in the input; the click still selects.
              onMouseDown={(e) => e.preventDefault()}
              onMouseMove={() => {
                if (i !== activeIndex) setActiveKey(t.key);
              }}
              onClick={() => choose(t)}
            >
              {t.status ? (
                <StatusBadge status={t.status} className="palette-status" />
              ) : (
                <span className="palette-status palette-kind">Page</span>
              )}
              <span className="palette-name">{t.title}</span>
              {t.environment && <span className="palette-env">{t.environment}</span>}
            </li>
          ))}
        </ul>
        <p className="palette-foot" role="status">
          <span>{summary}</span>
          <span className="palette-keys" aria-hidden="true">
            <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Enter</kbd> open · <kbd>Esc</kbd> close
          </span>
        </p>
      </div>
    </div>
  );
}

function optionLabel(t: JumpTarget): string {
  if (t.kind === "page") return `${t.title}, page`;
  const parts = [t.title];
  if (t.environment) parts.push(t.environment);
  if (t.status) parts.push(STATUS_LABEL[t.status]);
  return parts.join(", ");
}
