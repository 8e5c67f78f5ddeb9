import type { Connection } from "../lib/useLiveOverview";
import { formatClockTime } from "../lib/format";
import { Ago } from "./Ago";

/**
 * Says so when the live stream to the server has dropped. It does not block anything: the
 * page keeps the last data, and the transport reconnects by itself. The live region is always
 * in the page so that screen readers announce the banner when it appears.
 */
export function ConnectionBanner({
  connection,
  lastDataAt,
}: {
  connection: Connection;
  lastDataAt: number | null;
}) {
  return (
    <div className="connection" role="status">
      {connection === "lost" && (
        <div className="banner banner-warn connection-lost">
          <p>
            <strong>Lost connection to the opsdeck server — reconnecting…</strong>
          </p>
          <p>
            {lastDataAt === null ? (
              "No data has been received yet."
            ) : (
              <>
                Showing the data last received at {formatClockTime(lastDataAt)} (
                <Ago iso={new Date(lastDataAt).toISOString()} />
                ). It updates again as soon as the connection is back.
              </>
            )}
          </p>
        </div>
      )}
    </div>
  );
}
