import { DEMO_CAMPAIGN_ID, DEMO_USER } from '@cm/contracts';
import type { GraphiQLOptions } from 'graphql-yoga';

/*
 * What GraphiQL opens with, in place of yoga's generic welcome text. In development the page is signed in as the
 * demo campaign's game master and opens on that campaign, so the first click on ▶ shows it (after `cm seed`, which
 * `npm start` runs). Production serves no GraphiQL at all (createApi).
 */

/** The first tab: the demo campaign as its game master sees it. */
export const DEMO_QUERY = `# The demo campaign, as its game master (${DEMO_USER}) sees it. Press ▶ to run it.
# The Authorization header (Headers, below) holds a development token for ${DEMO_USER}, fresh on every page load.
query DemoCampaign {
  campaign(id: "${DEMO_CAMPAIGN_ID}") {
    id
    name
    description
    myRole
    branches { id name forkedAtSeq }
    kingdoms {
      totalCount
      nodes {
        name
        settlements { nodes { name level } }
      }
    }
  }
  # A page of settlements, filtered; pass pageInfo.endCursor as \`after\` for the next one.
  settlements(campaignId: "${DEMO_CAMPAIGN_ID}", first: 5, filter: { levelMin: 2 }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name level }
  }
}
`;

/** The second tab: a write, and reading it back with `minSeq` (read-your-writes). */
export const DEMO_WRITE_AND_READ = `# A write, and reading it back. Mutations answer at once with the stream sequence of the write (seq);
# the read model applies it a moment later. A read with minSeq waits until it has (or answers STALE_READ).
#
# 1. Run RenameKingdom (▶ offers both operations) and copy the seq it answers.
mutation RenameKingdom {
  renameKingdom(campaignId: "${DEMO_CAMPAIGN_ID}", id: "aurelia", name: "Aurelia Reborn") { seq }
}

# 2. Put that seq in the variables (below) as minSeq and run ReadBack: the new name is there.
query ReadBack($minSeq: Int) {
  kingdoms(campaignId: "${DEMO_CAMPAIGN_ID}", minSeq: $minSeq) { nodes { id name seq } }
}
`;

/** The page options; with `token`, the page is signed in (development only). */
export async function graphiqlOptions(token?: () => Promise<string>): Promise<GraphiQLOptions> {
  const headers = token ? JSON.stringify({ Authorization: `Bearer ${await token()}` }, null, 2) : undefined;
  return {
    title: 'Campaign Manager GraphQL',
    defaultQuery: DEMO_QUERY,
    ...(headers ? { headers } : {}),
    defaultTabs: [
      { query: DEMO_QUERY, headers },
      { query: DEMO_WRITE_AND_READ, variables: JSON.stringify({ minSeq: 0 }, null, 2), headers },
    ],
    // Open the headers pane, so where the token sits (and where another one goes) is visible from the start.
    defaultEditorToolsVisibility: token ? 'headers' : false,
  };
}
