import { CASES, crashCampaign } from '../../support/crash-campaign.js'

// Issue 10's fault campaign for os.envvar: see test/support/crash-campaign.ts.
crashCampaign(CASES['os.envvar'])
