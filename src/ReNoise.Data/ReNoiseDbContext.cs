using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using ReNoise.Data.Entities;

namespace ReNoise.Data;

public sealed class ReNoiseDbContext(DbContextOptions<ReNoiseDbContext> options) : DbContext(options)
{
    public DbSet<UserSession> Sessions => Set<UserSession>();
    public DbSet<Inversion> Inversions => Set<Inversion>();
    public DbSet<Edit> Edits => Set<Edit>();
    public DbSet<ShareLink> ShareLinks => Set<ShareLink>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<InversionBlob> InversionBlobs => Set<InversionBlob>();
    public DbSet<HealthProbe> HealthProbes => Set<HealthProbe>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is stored as UTC and read back as UTC (SQLite has no time-zone type; PostgreSQL's
        // timestamptz takes only UTC values).
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<UserSession>(e =>
        {
            e.ToTable("Sessions");
            e.HasKey(s => s.Id);
        });

        modelBuilder.Entity<Inversion>(e =>
        {
            e.ToTable("Inversions");
            e.HasKey(i => i.Id);
            e.HasOne<UserSession>().WithMany().HasForeignKey(i => i.OwnerId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(i => new { i.OwnerId, i.CreatedAt });
            e.HasIndex(i => i.JobId).IsUnique();
            e.Property(i => i.LatentShape).HasMaxLength(64);
            e.Property(i => i.NoiseShape).HasMaxLength(64);
        });

        modelBuilder.Entity<InversionBlob>(e =>
        {
            e.ToTable("InversionBlobs");
            e.HasKey(b => new { b.InversionId, b.Kind });
            e.Property(b => b.Kind).HasConversion<string>().HasMaxLength(16);
            e.HasOne<Inversion>().WithMany().HasForeignKey(b => b.InversionId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<HealthProbe>(e =>
        {
            e.ToTable("HealthProbes");
            e.HasKey(p => p.Id);
            e.Property(p => p.Id).ValueGeneratedNever();
        });

        modelBuilder.Entity<Edit>(e =>
        {
            e.ToTable("Edits");
            e.HasKey(x => x.Id);
            e.HasOne<Inversion>().WithMany().HasForeignKey(x => x.InversionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<UserSession>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.OwnerId, x.InversionId });
            e.HasIndex(x => x.JobId).IsUnique();
        });

        modelBuilder.Entity<ShareLink>(e =>
        {
            e.ToTable("ShareLinks");
            e.HasKey(x => x.Id);
            e.Property(x => x.Token).HasMaxLength(64);
            e.HasIndex(x => x.Token).IsUnique();
            e.HasOne<Inversion>().WithMany().HasForeignKey(x => x.InversionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Edit>().WithMany().HasForeignKey(x => x.EditId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<UserSession>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Job>(e =>
        {
            e.ToTable("Jobs");
            e.HasKey(x => x.Id);
            // Enums as names so the database reads plainly and reordering the enum cannot corrupt rows.
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.HasOne<UserSession>().WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Cascade);
            // Deleting an inversion (or edit) deletes the jobs that made it or worked on it: their rows
            // hold its prompt, file name and upload, which must not outlive it.
            e.HasOne<Inversion>().WithMany().HasForeignKey(x => x.InversionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Edit>().WithMany().HasForeignKey(x => x.EditId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.OwnerId, x.Status });
            e.HasIndex(x => x.Status);
            e.Property(x => x.Model).HasMaxLength(200);
        });

        modelBuilder.Entity<UserSession>().HasIndex(s => s.LastSeenAt);
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
