import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionOf } from "./connection.type";

export enum ScoreCause {
  CREATED = "CREATED",
  IMPORTED = "IMPORTED",
  INTERACTION = "INTERACTION",
  PROFILE = "PROFILE",
  EXPIRY = "EXPIRY",
  DECAY = "DECAY",
  MODEL = "MODEL",
  RESET = "RESET",
}
registerEnumType(ScoreCause, {
  name: "ScoreCause",
  description: "Why a lead's stored score changed.",
  valuesConfig: {
    CREATED: { description: "The lead was created (every total zero)." },
    IMPORTED: { description: "The totals the lead had when score history began to be kept (what came before is not known)." },
    INTERACTION: { description: "An interaction arrived (`interactionId`), with any profile fields it carried." },
    PROFILE: { description: "The lead's profile changed." },
    EXPIRY: { description: "Points expired (stamped at the expiry instant)." },
    DECAY: { description: "Points decayed one step (stamped at the step's instant)." },
    MODEL: { description: "A model was published and the lead rescored." },
    RESET: { description: "Engagement was reset by hand (recycling)." },
  },
});

@ObjectType({ simpleResolvers: true, description: "A lead's stored totals right after one change, at the instant the change took effect." })
export class ScorePoint {
  @Field()
  at: Date;

  @Field(() => Int)
  score: number;

  @Field(() => Int)
  fit: number;

  @Field(() => Int)
  engagement: number;

  @Field(() => ScoreCause)
  cause: ScoreCause;

  @Field(() => ID, { nullable: true, description: "The interaction that made the change (cause INTERACTION)." })
  interactionId: string | null;
}

@ObjectType({ simpleResolvers: true })
export class ScorePointConnection extends connectionOf("ScorePoint", ScorePoint) {}
