/*
 * The demo campaign `cm seed` writes, named here so that the seed and the development GraphiQL page (which opens
 * on it, signed in as its game master) cannot drift apart.
 */

/** The campaign `cm seed` creates; fixed so that seeding twice finds it instead of making another. */
export const DEMO_CAMPAIGN_ID = 'shattered-crown';
/** Owner of the demo campaign; `cm up` prints a token for this user, GraphiQL in development signs one. */
export const DEMO_USER = 'demo-gm';
/** The branch the seed forks off main. */
export const DEMO_BRANCH_ID = 'war-of-ash';
