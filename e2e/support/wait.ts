// The server suite's poller, shared so both suites wait the same way.
export { waitFor } from "../../server/test/support/wait";
