package alinlb

// Rate is the provider's current call rate, for tests.
func Rate(p *Provider) float64 { return p.api.Rate() }
