import { describe, expect, it } from "vitest";
import { extractCredentials } from "../src/index.js";
import { clientRequest } from "./helpers/apiman.js";

describe("extractCredentials", () => {
  it("reads Authorization: Bearer, X-API-Key and ?apikey=, in that order", () => {
    const request = clientRequest(
      { authorization: "Bearer one", "x-api-key": "two" },
      "?apikey=three",
    );
    expect(extractCredentials(request)).toEqual(["one", "two", "three"]);
  });

  it.each([
    ["Authorization: Bearer", clientRequest({ authorization: "Bearer sk-1" })],
    ["a lower-case scheme and extra spaces", clientRequest({ authorization: "  bearer   sk-1  " })],
    ["X-API-Key", clientRequest({ "X-API-Key": " sk-1 " })],
    ["?apikey=", clientRequest({}, "?model=x&apikey=sk-1")],
    ["a percent-encoded ?apikey=", clientRequest({}, "?apikey=sk%2D1")],
  ])("finds a key in %s", (_, request) => {
    expect(extractCredentials(request)).toEqual(["sk-1"]);
  });

  it("drops duplicates, keeping the first place", () => {
    const request = clientRequest({ authorization: "Bearer k", "x-api-key": "k" }, "?apikey=k");
    expect(extractCredentials(request)).toEqual(["k"]);
    const two = clientRequest({ authorization: "Bearer a", "x-api-key": "b" }, "?apikey=a");
    expect(extractCredentials(two)).toEqual(["a", "b"]);
  });

  it("ignores other schemes, blank values and other query names", () => {
    const request = clientRequest(
      { authorization: "Basic dXNlcjpwYXNz", "x-api-key": "   " },
      "?apikey=&api_key=x&key=y",
    );
    expect(extractCredentials(request)).toEqual([]);
    expect(extractCredentials(clientRequest({ authorization: "Bearer " }))).toEqual([]);
  });

  it("reads no key from a URL without a query, a fragment included", () => {
    expect(extractCredentials(clientRequest({}, "#apikey=a"))).toEqual([]);
    expect(extractCredentials(clientRequest({ "x-api-key": "b" }))).toEqual(["b"]);
  });

  it("takes only the first ?apikey=, so one request cannot ask for a list of guesses", () => {
    expect(extractCredentials(clientRequest({}, "?apikey=a&apikey=b&apikey=c"))).toEqual(["a"]);
  });
});
