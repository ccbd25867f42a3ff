import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "Relay page information." })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field()
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

/** What a connection resolver returns: a page, and `totalCount` computed only when asked for. */
export interface ConnectionResult<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  countTotal: () => Promise<number>;
}

/** A Relay connection type `<name>Connection` with `<name>Edge` edges of `node`. */
export function connectionOf<T>(name: string, node: abstract new () => T) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field({ description: "Opaque; pass as `after` to continue after this edge." })
    cursor: string;

    @Field(() => node)
    node: T;
  }

  @ObjectType(`${name}ConnectionBase`, { simpleResolvers: true })
  abstract class Connection {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, { description: "How many items match, on all pages." })
    totalCount: number;
  }
  return Connection;
}
