/**
 * `directFieldResolvers` takes over a type-graphql field resolver only where it passes exactly the
 * values type-graphql would (root, context, info, scalar arguments, in parameter order), leaves
 * the others to type-graphql (a middleware, `@Authorized`, a root of a class type, an input-object
 * argument, `@Args`), and
 * the answers are the same either way.
 */
import { execute, type GraphQLSchema, parse } from "graphql";
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  buildSchema,
  Ctx,
  Field,
  FieldResolver,
  InputType,
  Int,
  type MiddlewareFn,
  ObjectType,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from "type-graphql";
import { directFieldResolvers } from "../../src/schema/direct-resolvers";

@ObjectType()
class Thing {
  @Field()
  name!: string;
}

@InputType()
class Suffix {
  @Field()
  text!: string;
}

@ArgsType()
class Times {
  @Field(() => Int)
  times!: number;
}

/** A root typed by an interface (reflected as `Object`): type-graphql passes it as it is. */
interface Named {
  name: string;
}

interface Context {
  greeting: string;
  calls: string[];
}

const shout: MiddlewareFn<Context> = async ({ context }, next) => {
  context.calls.push("middleware");
  return `${await next()}!`;
};

@Resolver(() => Thing)
class ThingResolver {
  @Query(() => [Thing])
  things(): Thing[] {
    return [{ name: "a" }, { name: "b" }];
  }

  @FieldResolver(() => String)
  plain(@Root() thing: Named): string {
    return thing.name.toUpperCase();
  }

  // A root typed by a class: type-graphql makes it an instance of that class.
  @FieldResolver(() => Boolean)
  typedRoot(@Root() thing: Thing): boolean {
    return thing instanceof Thing;
  }

  // Parameters in another order than their kinds: the values follow the parameters.
  @FieldResolver(() => String)
  mixed(@Arg("n", () => Int) n: number, @Ctx() context: Context, @Root() thing: Named, @Arg("label", { nullable: true }) label?: string): string {
    context.calls.push("mixed");
    return `${context.greeting} ${thing.name} ${n} ${label ?? "-"}`;
  }

  @FieldResolver(() => String)
  @UseMiddleware(shout)
  loud(@Root() thing: Named): string {
    return thing.name;
  }

  @FieldResolver(() => String)
  @Authorized()
  guarded(@Root() thing: Named): string {
    return thing.name;
  }

  @FieldResolver(() => String)
  suffixed(@Root() thing: Named, @Arg("suffix", () => Suffix) suffix: Suffix): string {
    return `${thing.name}${suffix instanceof Suffix ? suffix.text : "(not a Suffix)"}`;
  }

  @FieldResolver(() => String)
  repeated(@Root() thing: Named, @Args() { times }: Times): string {
    return thing.name.repeat(times);
  }
}

const build = () => buildSchema({ resolvers: [ThingResolver], authChecker: () => true, validate: false });

const QUERY = parse(`{ things { name plain typedRoot mixed(n: 2) labelled: mixed(n: 3, label: "x") loud guarded suffixed(suffix: { text: "-s" }) repeated(times: 2) } }`);

async function run(schema: GraphQLSchema): Promise<{ result: unknown; calls: string[] }> {
  const context: Context = { greeting: "hi", calls: [] };
  const result = await execute({ schema, document: QUERY, contextValue: context });
  // Which resolver ran first is no part of the answer (a direct call settles sooner).
  return { result: JSON.parse(JSON.stringify(result)), calls: context.calls.sort() };
}

describe("directFieldResolvers", () => {
  it("takes over the field resolvers it can call exactly, and only those", async () => {
    const schema = await build();
    expect(directFieldResolvers(schema, [ThingResolver])).toEqual(["Thing.mixed", "Thing.plain"]);
  });

  it("answers as type-graphql does, middleware and argument conversion included", async () => {
    const direct = await build();
    directFieldResolvers(direct, [ThingResolver]);
    const [viaTypeGraphql, viaDirect] = [await run(await build()), await run(direct)];
    expect(viaDirect).toEqual(viaTypeGraphql);
    expect(viaDirect.result).toEqual({
      data: {
        things: ["a", "b"].map((name) => ({
          name,
          plain: name.toUpperCase(),
          typedRoot: true,
          mixed: `hi ${name} 2 -`,
          labelled: `hi ${name} 3 x`,
          loud: `${name}!`,
          guarded: name,
          suffixed: `${name}-s`,
          repeated: name + name,
        })),
      },
    });
    expect(viaDirect.calls.filter((call) => call === "middleware")).toHaveLength(2);
  });

  it("leaves alone a field of resolvers the schema was not built from", async () => {
    expect(directFieldResolvers(await build(), [])).toEqual([]);
  });
});
