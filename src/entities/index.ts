import { ApiKeyEntity } from "./api-key.entity";
import { InteractionEntity } from "./interaction.entity";
import { LeadEntity } from "./lead.entity";
import { ScoreAwardEntity } from "./score-award.entity";
import { ScorePointEntity } from "./score-point.entity";
import { ScoringModelEntity } from "./scoring-model.entity";
import { StageTransitionEntity } from "./stage-transition.entity";

export { ApiKeyEntity, InteractionEntity, LeadEntity, ScoreAwardEntity, ScorePointEntity, ScoringModelEntity, StageTransitionEntity };

/** Every entity, for the DataSource. */
export const ENTITIES = [
  LeadEntity,
  InteractionEntity,
  ScoreAwardEntity,
  StageTransitionEntity,
  ScorePointEntity,
  ScoringModelEntity,
  ApiKeyEntity,
];
