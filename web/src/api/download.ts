import { getCsv } from "./client";

/**
 * How long a downloaded file's Blob URL stays valid. The browser reads it after the click
 * returns, so revoking it at once can cancel the download; a minute is ample.
 */
const REVOKE_AFTER_MS = 60_000;

/**
 * Fetches a list route as CSV (the request must carry `Accept: text/csv`, which a plain link
 * cannot send) and saves it as `fileName` through a Blob URL and an `<a download>`.
 */
export async function downloadCsv(path: string, fileName: string): Promise<void> {
  const blob = await getCsv(path);
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}
