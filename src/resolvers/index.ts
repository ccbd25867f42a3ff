import { InteractionConnectionResolver, LeadConnectionResolver } from "./connection.resolver";
import { InteractionResolver } from "./interaction.resolver";
import { LeadResolver } from "./lead.resolver";
import { StageResolver } from "./stage.resolver";

export const RESOLVERS = [
  LeadResolver,
  InteractionResolver,
  StageResolver,
  LeadConnectionResolver,
  InteractionConnectionResolver,
] as const;
