export { scoreAttempt } from "./score-attempt";
export type {
  ScorableQuestion,
  ScorableSection,
  ScoringInput,
  ScoringOutput,
  SubmittedAnswer,
} from "./types";
