import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// Generous, so a loaded machine does not turn waiting into failing.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  window.location.hash = "";
  // Remembered layout, search and filters must not leak from one test into the next.
  window.localStorage.clear();
  window.sessionStorage.clear();
});
