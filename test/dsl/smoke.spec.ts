import { createToken, Lexer } from "chevrotain";
test("chevrotain loads", () => {
  const T = createToken({ name: "T", pattern: /a/ });
  expect(new Lexer([T]).tokenize("aa").tokens).toHaveLength(2);
});
