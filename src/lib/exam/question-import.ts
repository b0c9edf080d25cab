import type { FieldError } from "../errors";
import { parseCsv, unguardCsvText } from "../csv";
import { prepareQuestion } from "./questions";
import type { QuestionInput } from "../validation/questions";

/** Columns a CSV import understands; list-valued cells separate items with `|`. */
export const QUESTION_CSV_COLUMNS = [
  "type",
  "body",
  "options",
  "correctOption",
  "correctOptions",
  "answer",
  "min",
  "max",
  "rubric",
  "marks",
  "negativeMarks",
  "difficulty",
  "subject",
  "topic",
  "explanation",
] as const;

const NUMBER_COLUMNS = new Set(["correctOption", "answer", "min", "max", "marks", "negativeMarks"]);
const LIST_COLUMNS = new Set(["options", "correctOptions"]);

/**
 * A number when the cell reads as one; otherwise the text itself, so validation names the bad cell.
 * Text a spreadsheet-safe export prefixed with `'` (src/lib/csv.ts) gets its original back.
 */
function cellValue(column: string, cell: string): unknown {
  if (LIST_COLUMNS.has(column)) {
    const items = cell.split("|").map((item) => unguardCsvText(item.trim()));
    return column === "correctOptions" ? items.map((item) => (item !== "" && Number.isFinite(Number(item)) ? Number(item) : item)) : items;
  }
  if (NUMBER_COLUMNS.has(column)) return cell.trim() !== "" && Number.isFinite(Number(cell)) ? Number(cell) : cell;
  return unguardCsvText(cell);
}

/** CSV text to row objects (empty cells omitted), or an error naming the header problem. */
export function csvToRows(text: string): { rows: Record<string, unknown>[] } | { errors: FieldError[] } {
  let table: string[][];
  try {
    table = parseCsv(text);
  } catch (error) {
    return { errors: [{ path: "csv", message: `Not valid CSV: ${(error as Error).message}` }] };
  }
  const [header, ...body] = table;
  if (!header || body.length === 0) return { errors: [{ path: "csv", message: "Expected a header line and at least one row" }] };
  const columns = header.map((name) => name.trim());
  const unknown = columns.filter((name) => !(QUESTION_CSV_COLUMNS as readonly string[]).includes(name));
  if (unknown.length > 0)
    return { errors: [{ path: "csv", message: `Unknown columns: ${unknown.join(", ")}. Known: ${QUESTION_CSV_COLUMNS.join(", ")}` }] };
  const rows = body.map((cells, line) => {
    const row: Record<string, unknown> = {};
    if (cells.length !== columns.length) row.__cellCount = { expected: columns.length, got: cells.length, line: line + 2 };
    columns.forEach((column, i) => {
      const cell = cells[i];
      if (cell !== undefined && cell.trim() !== "") row[column] = cellValue(column, cell);
    });
    return row;
  });
  return { rows };
}

/**
 * Validates every row (all of them, so one answer lists every problem) and returns either all the
 * prepared questions or the per-row errors as `rows.<index>.<field>`.
 */
export function prepareImport(rows: unknown[]): { questions: QuestionInput[] } | { errors: FieldError[] } {
  const questions: QuestionInput[] = [];
  const errors: FieldError[] = [];
  rows.forEach((raw, index) => {
    const cellCount = (raw as { __cellCount?: { expected: number; got: number; line: number } })?.__cellCount;
    if (cellCount) {
      errors.push({
        path: `rows.${index}`,
        message: `Line ${cellCount.line} has ${cellCount.got} cells; the header has ${cellCount.expected}`,
      });
      return;
    }
    const prepared = prepareQuestion(raw);
    if ("errors" in prepared) {
      for (const error of prepared.errors)
        errors.push({ path: error.path === "(root)" ? `rows.${index}` : `rows.${index}.${error.path}`, message: error.message });
    } else questions.push(prepared.value);
  });
  return errors.length > 0 ? { errors } : { questions };
}
