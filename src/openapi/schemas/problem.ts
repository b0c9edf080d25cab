import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../../lib/errors";

const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** RFC 9457 problem details, the body of every non-2xx answer (src/lib/errors.ts). Extension members may follow. */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({ description: "`urn:proctor:problem:<code>`", examples: ["urn:proctor:problem:not_found"] }),
    title: z.string().meta({ examples: ["Not found"] }),
    status: z
      .number()
      .int()
      .meta({ examples: [404] }),
    detail: z.string().meta({ examples: ["The test was not found."] }),
    code: z.enum(ERROR_CODE_NAMES).meta({ description: "Stable machine-readable reason; clients switch on it." }),
    requestId: z
      .string()
      .optional()
      .meta({ description: "The request's id, also in `X-Request-Id`.", examples: ["req_01JD8X2V3K4M5N6P7Q8R9S0T1U"] }),
    errors: z
      .array(z.object({ path: z.string().meta({ examples: ["title"] }), message: z.string() }))
      .optional()
      .meta({ description: "Each failed field, for `validation_failed`." }),
  })
  .meta({ description: "RFC 9457 problem details (`application/problem+json`)." });
