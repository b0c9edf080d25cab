export { enqueue, enqueueStatements, type PreparedJob } from "./enqueue";
