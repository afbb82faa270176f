import { InvalidRequestError } from "@aiproxy/core";

/** The request body as JSON; anything else is a 400 that says what was wrong. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "")
    throw new InvalidRequestError({ message: "The request body is empty; expected a JSON object" });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError({
      message: `The request body is not valid JSON: ${(error as Error).message}`,
    });
  }
}
