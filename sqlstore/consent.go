package sqlstore

import (
	"context"
	"iter"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

type consentStore struct{ s *Store }

func (c *consentStore) Append(ctx context.Context, e consent.Event) (consent.Event, error) {
	return e, privacy.ErrUnimplemented
}
func (c *consentStore) History(ctx context.Context, subject privacy.SubjectID) iter.Seq2[consent.Event, error] {
	return nil
}
func (c *consentStore) Current(ctx context.Context, subject privacy.SubjectID, purpose privacy.Purpose) (consent.Event, error) {
	return consent.Event{}, privacy.ErrUnimplemented
}
func (c *consentStore) Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error) {
	return 0, privacy.ErrUnimplemented
}

type notices struct{ s *Store }

func (n *notices) Publish(ctx context.Context, x consent.Notice) error {
	return privacy.ErrUnimplemented
}
func (n *notices) Notice(ctx context.Context, id consent.NoticeID, version int) (consent.Notice, error) {
	return consent.Notice{}, privacy.ErrUnimplemented
}
func (n *notices) Versions(ctx context.Context, id consent.NoticeID, after int) iter.Seq2[consent.Notice, error] {
	return nil
}

type disclosures struct{ s *Store }

func (d *disclosures) AddOrder(ctx context.Context, o consent.LegalOrder) (consent.LegalOrder, error) {
	return o, privacy.ErrUnimplemented
}
func (d *disclosures) Orders(ctx context.Context, subject privacy.SubjectID) iter.Seq2[consent.LegalOrder, error] {
	return nil
}
func (d *disclosures) AddDisclosure(ctx context.Context, x consent.Disclosure) (consent.Disclosure, error) {
	return x, privacy.ErrUnimplemented
}
func (d *disclosures) Disclosures(ctx context.Context, subject privacy.SubjectID) iter.Seq2[consent.Disclosure, error] {
	return nil
}
func (d *disclosures) Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error) {
	return 0, privacy.ErrUnimplemented
}
