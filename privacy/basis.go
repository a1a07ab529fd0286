package privacy

import "fmt"

// LegalBasis is one of the six lawful bases of GDPR Art. 6(1). Its string
// form is stable and used in storage and exports.
type LegalBasis string

const (
	Consent             LegalBasis = "consent"              // Art. 6(1)(a)
	Contract            LegalBasis = "contract"             // Art. 6(1)(b)
	LegalObligation     LegalBasis = "legal_obligation"     // Art. 6(1)(c)
	VitalInterests      LegalBasis = "vital_interests"      // Art. 6(1)(d)
	PublicTask          LegalBasis = "public_task"          // Art. 6(1)(e)
	LegitimateInterests LegalBasis = "legitimate_interests" // Art. 6(1)(f)
)

// LegalBases lists the six bases in the order of Art. 6(1).
func LegalBases() []LegalBasis {
	return []LegalBasis{Consent, Contract, LegalObligation, VitalInterests, PublicTask, LegitimateInterests}
}

// Article returns the provision the basis comes from, such as "GDPR Art. 6(1)(a)".
func (b LegalBasis) Article() string {
	for i, x := range LegalBases() {
		if x == b {
			return fmt.Sprintf("GDPR Art. 6(1)(%c)", 'a'+i)
		}
	}
	return ""
}

// Validate returns an error wrapping [ErrInvalid] unless b is one of the six bases.
func (b LegalBasis) Validate() error {
	if b.Article() == "" {
		return &Error{Op: "privacy.LegalBasis.Validate", Msg: fmt.Sprintf("unknown legal basis %q", string(b)), Err: ErrInvalid}
	}
	return nil
}
