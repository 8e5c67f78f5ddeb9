// Pairing a phone: a viewer token, handed over as a QR code of the sign-in link
// (`<url>/#token=<token>`). The phone's camera opens the link, the page signs in with the token
// and drops it from the address. Done (or Escape) drops the token and the code from this page.
//
// In the desktop app the page's own address is no use to a phone. When the app shares its
// console on the network, the address comes from its sharing status (the certificate's name);
// otherwise the user types one, which is remembered.

import QRCode from "qrcode";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { toBackendError, type Api, type DesktopControls } from "../../backend";
import type { SharingStatus } from "../../bindings/SharingStatus";
import { signInLink } from "../../lib/signInLink";
import { readStored, writeStored, isString } from "../../lib/storage";
import { Dialog } from "../Dialog";
import { useFocusAfterRender } from "./edits";
import { TextField } from "./Field";

/** The desktop app's last server address for pairing, remembered across visits. */
export const PAIRING_URL_KEY = "opsdeck:pairing-url";

/** `phone-YYYY-MM-DD`, today in the viewer's time zone. */
export function defaultPhoneTokenName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `phone-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The address as typed, without trailing slashes, or null when it is not an http(s) URL. */
export function cleanServerUrl(text: string): string | null {
  const trimmed = text.trim().replace(/\/+$/, "");
  try {
    const url = new URL(trimmed);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    if (url.hash !== "" || url.search !== "") return null;
    return trimmed;
  } catch {
    return null;
  }
}

interface Paired {
  name: string;
  /** The server address the code opens (without the token). */
  url: string;
  /** `data:image/png;base64,…` */
  image: string;
}

export interface PairPhoneDialogProps {
  client: Api;
  /** The desktop app's controls, whose sharing status gives the address; absent in a browser. */
  desktop?: DesktopControls | undefined;
  onCreated: (name: string) => void;
  onClose: () => void;
}

export function PairPhoneDialog({ client, desktop, onCreated, onClose }: PairPhoneDialogProps) {
  const [url, setUrl] = useState(() =>
    desktop ? (readStored("local", PAIRING_URL_KEY, isString) ?? "") : window.location.origin,
  );
  // Whether the desktop app shares its console; null until known (and in a browser).
  const [sharing, setSharing] = useState<SharingStatus | null>(null);
  const typed = useRef(false);
  const [name, setName] = useState(() => defaultPhoneTokenName());
  const [urlError, setUrlError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [paired, setPaired] = useState<Paired | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const problemRef = useRef<HTMLParagraphElement>(null);
  const focusNext = useFocusAfterRender();

  useEffect(() => {
    if (!desktop) return;
    let cancelled = false;
    desktop.sharingStatus().then(
      (s) => {
        if (cancelled) return;
        setSharing(s);
        // What the user has started typing stays.
        if (s.listening !== null && s.suggested_url !== null && !typed.current) setUrl(s.suggested_url);
      },
      // Unknown: the field and its hint still say what to enter.
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [desktop]);

  const shared = sharing !== null && sharing.listening !== null;
  const suggested = shared && sharing.suggested_url !== null ? cleanServerUrl(sharing.suggested_url) : null;

  const close = () => {
    setPaired(null);
    onClose();
  };

  const focusProblem = () =>
    focusNext(
      () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? problemRef.current,
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setProblem(null);
    const server = cleanServerUrl(url);
    const tokenName = name.trim();
    const badUrl =
      server === null ? "Enter the address the phone opens, starting with https:// or http://." : null;
    const badName = tokenName === "" ? "Enter a name for the phone's token." : null;
    setUrlError(badUrl);
    setNameError(badName);
    if (server === null || badName !== null) {
      focusProblem();
      return;
    }
    // Remembered for when the app does not share: its own address needs no remembering.
    if (desktop && server !== suggested) writeStored("local", PAIRING_URL_KEY, server);
    setBusy(true);
    let created: string | null = null;
    try {
      // Always a viewer: a lost phone must not be able to change anything.
      const token = await client.createToken(tokenName, "viewer");
      created = token.info.name;
      onCreated(created);
      const image = await QRCode.toDataURL(signInLink(server, token.token), {
        errorCorrectionLevel: "M",
        margin: 2,
        width: 288,
      });
      setPaired({ name: created, url: server, image });
    } catch (err) {
      const backendError = toBackendError(err);
      setBusy(false);
      if (created !== null) {
        setProblem(
          `Token ${created} was created, but its pairing code could not be drawn (${backendError.message}). Revoke it under Access tokens.`,
        );
      } else {
        const field = backendError.fields.find((f) => f.field === "name");
        if (field) setNameError(field.message);
        else setProblem(`No token was created: ${backendError.message}`);
      }
      focusProblem();
    }
  };

  return (
    <Dialog title="Pair a phone" onClose={close}>
      {paired ? (
        <>
          <p>
            Scan this code with the phone’s camera. It opens <code className="wrap">{paired.url}</code> and
            signs in with the new viewer token <strong>{paired.name}</strong>.
          </p>
          <img
            className="pairing-code"
            src={paired.image}
            alt={`Pairing code: signs a phone in to ${paired.url} as ${paired.name} (viewer)`}
            width="288"
            height="288"
          />
          <p className="banner banner-warn secret-warning">
            Anyone who scans this code can view the console until the token is revoked. If the phone is lost,
            revoke {paired.name} under Access tokens.
          </p>
          <div className="settings-actions">
            <button type="button" className="primary" onClick={close}>
              Done
            </button>
          </div>
        </>
      ) : (
        <>
          {desktop && sharing !== null && !shared && (
            <p className="banner banner-warn">
              This computer is not sharing its console; turn on Share on the network under Settings → Desktop, or
              enter the address of an opsdeck server that uses this computer’s data folder.
            </p>
          )}
          <form ref={formRef} className="dialog-form" noValidate onSubmit={(e) => void submit(e)}>
            <p>
              A phone signs in by scanning a code, with a viewer token of its own: it can see the console but
              change nothing.
            </p>
            <TextField
              label="Server address"
              name="url"
              type="url"
              inputMode="url"
              value={url}
              onChange={(v) => {
                typed.current = true;
                setUrl(v);
              }}
              errors={urlError ? [urlError] : undefined}
              hint={
                desktop && shared ? (
                  "Where this computer shares its console, by the name in its certificate, which the phone must reach."
                ) : desktop ? (
                  <>
                    The address of an <code>opsdeck serve</code> that shares this computer’s data folder and that
                    the phone can reach, such as https://opsdeck.example.com:7443.
                  </>
                ) : (
                  "The address the phone opens: this page’s, unless the phone reaches the server by another name."
                )
              }
              code
            />
            <TextField
              label="Token name"
              name="name"
              value={name}
              onChange={setName}
              errors={nameError ? [nameError] : undefined}
              hint="Shown in the list of access tokens, to revoke it later."
              code
            />
            {problem && (
              <p ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem" role="alert">
                {problem}
              </p>
            )}
            <div className="settings-actions">
              <button type="submit" className="primary" aria-disabled={busy || undefined}>
                {busy ? "Creating…" : "Create pairing code"}
              </button>
              <button type="button" onClick={close}>
                Cancel
              </button>
            </div>
          </form>
        </>
      )}
    </Dialog>
  );
}
