// A modal dialog: the rest of the page is inert while it is open, Tab stays inside, Escape
// closes it, and focus goes back to what opened it. Rendered at the end of <body>, so that
// everything else (the app, whatever it is mounted in) can be made inert as a whole.
//
// A click on the backdrop does not close it: a dialog may hold a token shown only once, and a
// stray click must not lose it.

import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { createPortal } from "react-dom";
import { isJumpShortcut } from "../lib/shortcut";
import "../settings.css";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  /** The dialog's heading and accessible name. */
  title: string;
  /** Escape, or the dialog's own Close/Cancel/Done buttons. */
  onClose: () => void;
  children: ReactNode;
  /** Focused when the dialog opens; by default its first field or button. */
  initialFocus?: () => HTMLElement | null | undefined;
}

export function Dialog({ title, onClose, children, initialFocus }: DialogProps) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);
  // Read while rendering, before the rest of the page is made inert (which would blur it).
  const [opener] = useState(() =>
    document.activeElement instanceof HTMLElement ? document.activeElement : null,
  );
  const focusFirst = useRef(initialFocus);

  useLayoutEffect(() => {
    const own = backdrop.current;
    const made: Element[] = [];
    for (const el of document.body.children) {
      if (el === own || el.hasAttribute("inert")) continue;
      el.setAttribute("inert", "");
      made.push(el);
    }
    const target =
      focusFirst.current?.() ?? ref.current?.querySelector<HTMLElement>(`.dialog-body :is(${FOCUSABLE})`);
    (target ?? ref.current)?.focus();
    return () => {
      for (const el of made) el.removeAttribute("inert");
      if (opener?.isConnected) opener.focus();
    };
  }, [opener]);

  // The page behind does not scroll while the dialog is open (`body.dialog-open` in the CSS).
  useEffect(() => {
    document.body.classList.add("dialog-open");
    return () => document.body.classList.remove("dialog-open");
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onClose();
      return;
    }
    // "Jump to…" would open behind the dialog, inert: not while a dialog is open.
    if (isJumpShortcut(e.nativeEvent)) {
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (e.key !== "Tab") return;
    // Controls of a part of the dialog that is hidden (a form while its summary is shown) are
    // not where Tab goes.
    const focusable = [...(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter(
      (el) => !el.closest("[hidden], [inert]"),
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    if (e.shiftKey && (document.activeElement === first || document.activeElement === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return createPortal(
    <div ref={backdrop} className="dialog-backdrop">
      <div
        ref={ref}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        <div className="dialog-body">{children}</div>
      </div>
    </div>,
    document.body,
  );
}
