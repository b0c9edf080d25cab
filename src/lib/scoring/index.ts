export { scoreAttempt, accuracyOf, effectiveMarks } from "./score-attempt";
export type {
  AnswerOutcome,
  QuestionScore,
  ScorableQuestion,
  ScorableSection,
  ScoringInput,
  ScoringOutput,
  SubmittedAnswer,
} from "./types";
