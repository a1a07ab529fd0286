// Package story is the privacy statement walked end to end on a small
// bookkeeping host, shared by the examples that run it on SQLite and on
// PostgreSQL.
package story

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

var sectors = []string{"retail", "construction", "healthcare", "hospitality", "transport"}

// narrator prints the story in one language.
type narrator struct {
	w     io.Writer
	dutch bool
	err   error
}

func (n *narrator) say(en, nl string, args ...any) {
	if n.err != nil {
		return
	}
	format := en
	if n.dutch {
		format = nl
	}
	_, n.err = fmt.Fprintf(n.w, format+"\n", args...)
}

// Open opens the host's store.
type Open func(ctx context.Context) (*sqlstore.Store, error)

// Run tells the story to out in lang (English or Dutch), writing the export
// archive under dir and keeping the host's data in the store open gives.
func Run(ctx context.Context, out io.Writer, lang language.Tag, dir string, open Open) error {
	n := &narrator{w: out, dutch: lang == language.Dutch}
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return err
	}
	clock := privacy.NewSettableClock(time.Date(2019, 1, 7, 9, 0, 0, 0, ams))
	h, err := newHost(ctx, clock, open)
	if err != nil {
		return err
	}
	defer h.close()
	s := h.steward

	// 1. Clients register and consent to the privacy notice.
	notice := consent.Notice{ID: "privacy", Version: 1, Purposes: []privacy.Purpose{"newsletter"}, Texts: map[string]consent.Text{
		"en": {Title: "Privacy statement", Body: "We use your data only for delivery and quality control."},
		"nl": {Title: "Privacyverklaring", Body: "Wij gebruiken uw gegevens alleen voor levering en kwaliteitscontrole."},
	}}
	if _, err := s.Consent().Publish(ctx, notice); err != nil {
		return err
	}
	clients := 0
	for i, sector := range sectors {
		for j := range 8 + 4*i {
			id := privacy.SubjectID(fmt.Sprintf("client-%s-%02d", sector, j))
			if err := h.register(ctx, id, sector, j); err != nil {
				return err
			}
			clients++
		}
	}
	given := 0
	for _, c := range h.clients {
		if c.index%2 == 0 {
			if _, err := s.Consent().Give(ctx, consent.Choice{Subject: c.id, Purpose: "newsletter", Notice: "privacy", Version: 1, Language: lang, Method: consent.MethodWeb}); err != nil {
				return err
			}
			given++
		}
	}
	n.say("January 2019: %d clients register; %d consent to the newsletter under privacy notice version 1.",
		"januari 2019: %d klanten melden zich aan; %d geven toestemming voor de nieuwsbrief onder privacyverklaring versie 1.", clients, given)

	// 2. Invoices are made through 2019 and 2020.
	invoices, err := h.invoices(ctx)
	if err != nil {
		return err
	}
	n.say("2019–2020: %d invoices are made.", "2019–2020: er worden %d facturen gemaakt.", invoices)

	// 3. The notice changes materially; consent must be asked again.
	clock.Set(time.Date(2021, 3, 1, 10, 0, 0, 0, ams))
	notice.Version, notice.Change = 2, consent.Material
	notice.Texts = map[string]consent.Text{
		"en": {Title: "Privacy statement", Body: "We also use your data to measure the newsletter's reach."},
		"nl": {Title: "Privacyverklaring", Body: "Wij gebruiken uw gegevens ook om het bereik van de nieuwsbrief te meten."},
	}
	if _, err := s.Consent().Publish(ctx, notice); err != nil {
		return err
	}
	anna := h.clients[0].id
	need, err := s.Consent().NeedsConsent(ctx, anna, "newsletter")
	if err != nil {
		return err
	}
	n.say("March 2021: the notice changes materially (version 2). Does %s need to be asked again? %s: %s",
		"maart 2021: de privacyverklaring wijzigt wezenlijk (versie 2). Moet %s opnieuw gevraagd worden? %s: %s",
		anna, n.yes(need.Reason.Needed()), s.Consent().Explain(need.Reason, lang))
	if _, err := s.Consent().Give(ctx, consent.Choice{Subject: anna, Purpose: "newsletter", Notice: "privacy", Version: 2, Language: lang, Method: consent.MethodWeb}); err != nil {
		return err
	}
	need, err = s.Consent().NeedsConsent(ctx, anna, "newsletter")
	if err != nil {
		return err
	}
	n.say("%s consents to version 2; asked again now? %s.", "%s stemt in met versie 2; nu opnieuw vragen? %s.", anna, n.yes(need.Reason.Needed()))

	// 4. A third party asks for a client's data.
	_, err = s.Consent().Disclose(ctx, anna, "AdPartner BV", "newsletter", privacy.Consent)
	n.say("AdPartner BV asks for %s's data: %s.", "AdPartner BV vraagt de gegevens van %s: %s.", anna, verdict(n, err))
	if _, err := s.Consent().RecordOrder(ctx, "legal", consent.LegalOrder{
		Authority: "Belastingdienst", Reference: "BD/2021/0417", Date: clock.Now(), Basis: privacy.LegalObligation,
		Scope: consent.OrderScope{Subjects: []privacy.SubjectID{anna}, Purposes: []privacy.Purpose{"tax"}},
	}); err != nil {
		return err
	}
	_, err = s.Consent().Disclose(ctx, anna, "Belastingdienst", "tax", privacy.LegalObligation)
	n.say("The tax authority asks with a recorded order (BD/2021/0417): %s.", "De Belastingdienst vraagt met een vastgelegde vordering (BD/2021/0417): %s.", verdict(n, err))

	// 5. Anna's contract ends; she takes her data with her.
	clock.Set(time.Date(2021, 6, 30, 17, 0, 0, 0, ams))
	term, err := s.Terminate(ctx, anna, clock.Now())
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "export-"+string(anna)+".zip")
	if err := writeExport(ctx, s, anna, path, lang); err != nil {
		return err
	}
	files, complete, err := readManifest(path)
	if err != nil {
		return err
	}
	n.say("30 June 2021: %s's contract ends (%d records get the contract.ended date). The export has %d files; the manifest says complete: %s.",
		"30 juni 2021: de overeenkomst van %s eindigt (%d records krijgen de einddatum). De export bevat %d bestanden; volgens het manifest compleet: %s.",
		anna, term.Recorded, files, n.yes(complete))

	// 6. Bram cancels and asks for erasure.
	bram := h.clients[1].id
	if _, err := s.Terminate(ctx, bram, clock.Now()); err != nil {
		return err
	}
	req, err := s.Receive(ctx, bram, privacy.RequestErasure)
	if err != nil {
		return err
	}
	rep, err := s.Erase(ctx, bram)
	if err != nil {
		return err
	}
	if _, err := s.Complete(ctx, req.ID); err != nil {
		return err
	}
	n.say("%s cancels and asks for erasure (due %s). Steward answers:", "%s zegt op en vraagt om wissing (uiterlijk %s). Steward antwoordt:",
		bram, req.Due.In(ams).AddDate(0, 0, -1).Format("2006-01-02"))
	n.say("%s", "%s", indent(s.RenderErasure(rep, lang)))

	// 7. A legal hold on one of Carla's invoices.
	carla := h.clients[2].id
	heldRef := h.clients[2].invoices[0]
	if _, err := s.Holds().Place(ctx, retention.Hold{ID: "hold-1", Matter: "Rb. Amsterdam C/13/7001", Ground: retention.GroundCourtOrder,
		Scope: retention.RecordScope(heldRef), PlacedBy: "legal"}); err != nil {
		return err
	}
	n.say("A court order puts a legal hold on %s's invoice %s.", "Een rechterlijk bevel legt een bewaarplicht op factuur %[2]s van %[1]s.", carla, heldRef.ID)

	// 8. Seven years later the sweep disposes of what the law lets go.
	clock.Set(time.Date(2028, 1, 1, 0, 0, 0, 0, ams))
	sweeper, err := s.Sweeper()
	if err != nil {
		return err
	}
	due := 0
	for _, err := range sweeper.Plan(ctx) {
		if err != nil {
			return err
		}
		due++
	}
	sw, err := sweeper.Execute(ctx, nil)
	if err != nil {
		return err
	}
	_, stillThere := h.record(ctx, heldRef)
	n.say("1 January 2028: the invoices of 2019 and 2020 have had their seven years. The sweep plans %d disposals and carries out %d; the held invoice is still there: %s.",
		"1 januari 2028: de facturen van 2019 en 2020 hebben hun zeven jaar gehad. De opschoning plant %d verwijderingen en voert er %d uit; de geblokkeerde factuur is er nog: %s.",
		due, sw.Disposed, n.yes(stillThere))

	// 9. Anonymised figures: users per sector.
	rel, err := aggregate.Build(ctx, []aggregate.Dim{{Name: "sector", Keys: sectors}}, h.sectorRows(), nil)
	if err != nil {
		return err
	}
	n.say("Users per sector, safe to publish (at least 10 per figure):", "Gebruikers per sector, veilig te publiceren (minstens 10 per cijfer):")
	for _, c := range rel.Cells {
		if c.Status.Suppressed() {
			n.say("  %-12s withheld: %s", "  %-12s niet gepubliceerd: %s", c.Key[0], c.Status)
			continue
		}
		n.say("  %-12s %d", "  %-12s %d", c.Key[0], c.Subjects)
	}

	head, err := privacy.Verify(ctx, s.AuditLog())
	if err != nil {
		return err
	}
	n.say("The audit log holds %d entries and its hash chain verifies.", "Het auditlogboek bevat %d regels en de hashketen klopt.", head.Seq)
	return n.err
}

func (n *narrator) yes(b bool) string {
	switch {
	case b && n.dutch:
		return "ja"
	case n.dutch:
		return "nee"
	case b:
		return "yes"
	}
	return "no"
}

func verdict(n *narrator, err error) string {
	switch {
	case err == nil && n.dutch:
		return "toegestaan en vastgelegd"
	case err == nil:
		return "allowed and logged"
	case errors.Is(err, privacy.ErrNoConsent) && n.dutch:
		return "geweigerd: geen toestemming of vordering"
	case errors.Is(err, privacy.ErrNoConsent):
		return "refused: no consent or legal order"
	}
	return err.Error()
}

func writeExport(ctx context.Context, s *steward.Steward, subject privacy.SubjectID, path string, lang language.Tag) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = s.Export(ctx, subject, f, &export.ArchiveOptions{Options: export.Options{Language: lang}, Formats: []export.Format{export.CSV, export.JSON, export.HTML}})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readManifest(path string) (files int, complete bool, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, false, err
	}
	defer zr.Close()
	rc, err := zr.Open("manifest.json")
	if err != nil {
		return 0, false, err
	}
	defer rc.Close()
	var m export.Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		return 0, false, err
	}
	return len(m.Files), m.Complete, nil
}

func indent(s string) string {
	out := ""
	for _, line := range splitLines(s) {
		out += "    " + line + "\n"
	}
	return out[:max(0, len(out)-1)]
}

func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		lines = append(lines, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return lines
}
