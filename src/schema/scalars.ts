/** The contract's scalars: ISO-8601 `DateTime` and free-form `JSONObject`. */
export { DateTimeResolver as DateTimeScalar, JSONObjectResolver as JSONObjectScalar } from "graphql-scalars";
