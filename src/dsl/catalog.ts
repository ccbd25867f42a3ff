/**
 * The interaction types Qualify knows out of the box. A model may use others (the set is open),
 * but the checker warns about a type outside the configured catalog and suggests the nearest one,
 * which catches typos such as `vist` or `webinnar`. Types are lowercase identifiers.
 */
export const DEFAULT_INTERACTION_TYPES: readonly string[] = [
  // Website
  "visit",
  "download",
  "form_submit",
  "search",
  "video_play",
  "chat",
  "signup",
  // Email and newsletters
  "subscribe",
  "unsubscribe",
  "email_open",
  "email_click",
  "email_reply",
  "email_bounce",
  // Sales conversations
  "demo_request",
  "contact_request",
  "quote_request",
  "meeting",
  "call",
  // Events
  "webinar",
  "webinar_registration",
  "event",
  "event_registration",
  // Advertising and social (LinkedIn and Facebook lead-ad forms)
  "ad_click",
  "lead_form",
  "social_click",
  "social_share",
  // Product
  "trial_signup",
  "trial_activation",
  "product_usage",
  "purchase",
  "cancellation",
  "referral",
];
