import { csvRow } from "../csv";
import { TextOutput, type ExportRun } from "./run";

/** The export's file as CSV text: the byte-order mark when the owner asked for one, then the header row. */
export async function csvOutput(run: ExportRun, header: readonly string[]): Promise<TextOutput> {
  const out = new TextOutput((chunk) => run.write(chunk));
  if (run.row.byteOrderMark) await out.write("\uFEFF");
  await out.write(csvRow(header));
  return out;
}
