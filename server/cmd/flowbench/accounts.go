package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sspr-portal/sspr/server/canon"
)

// maxAccounts is the most accounts flowbench makes: one for each number of
// Ofcom's range for drama, 07700 900000 to 07700 900999, which is never
// allocated to anyone, so that no real phone's number is in any file.
const maxAccounts = 1000

// account is one benchmark account, in the forms the portal keeps and a
// person types.
type account struct {
	// Typed is the user id as a person types it (no domain); ID is its
	// canonical form (users.default_domain added).
	Typed, ID string
	Name      string
	// Mail is the primary address, Alt the alternate one registered.
	Mail, Alt string
	// Phone is the mobile registered, in E.164; PhoneTyped as a person
	// types it in the wizard, in the national form.
	Phone, PhoneTyped string
	// Initial is the password the import gives it.
	Initial string
	// recent are the last passwords a reset gave it, never given again.
	// Only the virtual user holding the account touches it.
	recent []string
}

// makeAccounts makes n accounts valid under the portal's rules
// (users.default_domain, phone_region and phone_countries): canonical ids,
// addresses canon.Email takes, mobiles canon.Mobile takes. The numbers are
// British (Ofcom's drama range), so GB must be among the countries served.
// initial gives each its first password.
func makeAccounts(n int, defaultDomain, phoneRegion string, phoneCountries []string, initial func(a *account) string) ([]account, error) {
	if n < 1 || n > maxAccounts {
		return nil, fmt.Errorf("accounts: %d: must be 1 to %d", n, maxAccounts)
	}
	out := make([]account, n)
	for i := range out {
		a := &out[i]
		a.Typed = fmt.Sprintf("flowbench-%04d", i+1)
		id, err := canon.UserID(a.Typed, defaultDomain)
		if err != nil {
			return nil, fmt.Errorf("accounts: user id %s: %w", a.Typed, err)
		}
		a.ID = id
		a.Name = fmt.Sprintf("Flowbench Person %d", i+1)
		if a.Mail, err = canon.Email(a.ID); err != nil {
			return nil, fmt.Errorf("accounts: mail %s: %w", a.ID, err)
		}
		if a.Alt, err = canon.Email(fmt.Sprintf("flowbench-%04d@example.net", i+1)); err != nil {
			return nil, fmt.Errorf("accounts: alternate address: %w", err)
		}
		// As typed in Britain; with the country code elsewhere.
		a.PhoneTyped = fmt.Sprintf("07700 900%03d", i)
		if phoneRegion != "GB" {
			a.PhoneTyped = fmt.Sprintf("+44 7700 900%03d", i)
		}
		if a.Phone, _, err = canon.Mobile(a.PhoneTyped, phoneRegion, phoneCountries); err != nil {
			return nil, fmt.Errorf("accounts: mobile %s: %w", a.PhoneTyped, err)
		}
		a.Initial = initial(a)
	}
	return out, nil
}

// importFiles are the files `sspr accounts import` and `sspr
// registrations import` read (docs/IMPORT.md): CSV with a header row.
type importFiles struct {
	Accounts, Registrations string
}

// writeImportFiles writes the accounts (id, name, mail, initial_password)
// and their registrations (id, email, mobile: confirmed by the
// organisation) into dir, mode 0600: the accounts file holds passwords.
func writeImportFiles(dir string, accts []account) (importFiles, error) {
	f := importFiles{Accounts: filepath.Join(dir, "accounts.csv"), Registrations: filepath.Join(dir, "registrations.csv")}
	acc := [][]string{{"id", "name", "mail", "initial_password"}}
	reg := [][]string{{"id", "email", "mobile"}}
	for _, a := range accts {
		acc = append(acc, []string{a.Typed, a.Name, a.Mail, a.Initial})
		reg = append(reg, []string{a.Typed, a.Alt, a.Phone})
	}
	if err := writeCSV(f.Accounts, acc); err != nil {
		return f, err
	}
	return f, writeCSV(f.Registrations, reg)
}

func writeCSV(path string, rows [][]string) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := csv.NewWriter(file)
	if err := w.WriteAll(rows); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}
