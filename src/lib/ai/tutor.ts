import type { Answer, Question } from "../../db/schema";
import { describeAnswer, describeKey } from "../exam/answer-text";
import { htmlToPlainText } from "../plain-text";
import type { ChatMessage } from "./client";
import { delimited, UNTRUSTED_DATA_RULE } from "./prompt";

const SYSTEM = [
  "You are a patient tutor explaining one exam question to the student who answered it, after their test was scored.",
  "Ground every explanation in the question, the official answer and solution, and the student's answer given below;",
  "say so when something is outside them rather than guessing. Be concise, encouraging and concrete.",
  UNTRUSTED_DATA_RULE,
].join(" ");

/**
 * The tutor's conversation: the grounding (question, official answer and solution, the student's
 * answer and its outcome) as fenced data first, then the student's turns. No name, email or id goes
 * to the provider: only the question's content and the answer.
 */
export function tutorConversation(
  question: Question,
  answer: Pick<Answer, "answer" | "isCorrect" | "marksAwarded" | "gradedMarks" | "feedback"> | undefined,
  messages: ChatMessage[],
): { system: string; messages: ChatMessage[] } {
  const outcome =
    !answer || answer.answer === null
      ? "not answered"
      : answer.isCorrect === true
        ? "correct"
        : answer.isCorrect === false
          ? "incorrect"
          : "graded by hand";
  const grounding = [
    `Question:\n${delimited("question", htmlToPlainText(question.body))}`,
    ...(question.options
      ? [
          `Options:\n${delimited("options", question.options.map((o, i) => `${String.fromCharCode(65 + i)}. ${htmlToPlainText(o)}`).join("\n"))}`,
        ]
      : []),
    `Official answer:\n${delimited("official_answer", describeKey(question))}`,
    ...(question.explanation ? [`Official solution:\n${delimited("solution", htmlToPlainText(question.explanation))}`] : []),
    `The student's answer (${outcome}):\n${delimited("student_answer", describeAnswer(question, answer?.answer))}`,
    ...(answer?.feedback ? [`The grader's feedback:\n${delimited("feedback", htmlToPlainText(answer.feedback))}`] : []),
  ].join("\n\n");
  return {
    system: SYSTEM,
    messages: [
      { role: "user", content: `Here is the question we will discuss.\n\n${grounding}` },
      { role: "assistant", content: "Understood. What would you like to go over?" },
      ...messages.map((message) => ({
        role: message.role,
        content: message.role === "user" ? delimited("student", message.content) : message.content,
      })),
    ],
  };
}
