import type { ResponseObject } from "@aiproxy/agent-loop/responses";
import type { ResponseStore } from "@aiproxy/state";
import type { History, StoredItem } from "./input.js";

/** What `store: true` keeps of a response. */
export interface StoredResponse {
  response: ResponseObject;
  /** This request's input items, for `GET /v1/responses/{id}/input_items`. */
  input: StoredItem[];
  /**
   * The whole conversation through this response, for `previous_response_id`.
   * Arrays of shared objects, so a long conversation costs one reference per
   * item per stored turn, and an expired earlier turn does not break a later one.
   */
  history: History;
}

export type ResponsesStore = ResponseStore<StoredResponse>;
