import type { ExportKind as ExportKindName } from "../../db/schema";
import type { AnyExportKind } from "./kind";
import { auditLogsExport } from "./kinds/audit-logs";
import { performanceReportExport } from "./kinds/performance-report";
import { questionBankExport } from "./kinds/question-bank";
import { resultCardExport } from "./kinds/result-card";
import { testAnalyticsExport } from "./kinds/test-analytics";
import { testResultsExport } from "./kinds/test-results";
import { usersExport } from "./kinds/users";

/** Every kind of export, by name (docs/exports.md). */
export const EXPORT_CATALOGUE: Record<ExportKindName, AnyExportKind> = {
  attempt_result_card: resultCardExport,
  performance_report: performanceReportExport,
  test_results: testResultsExport,
  test_analytics: testAnalyticsExport,
  question_bank: questionBankExport,
  users: usersExport,
  audit_logs: auditLogsExport,
};
